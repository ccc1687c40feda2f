import { describe, expect, it } from 'vitest';
import { add } from '../src/kernels/elementwise.ts';
import { type PaddedLayout, paddedIndex } from '../src/kernels/geometry.ts';
import { adain, adainBackward, channelMeanStd, instanceNorm, instanceNormBackward } from '../src/kernels/norm.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/norm.ts';

const engine = useEngine();

// [N, C, H, W]: 1×1 spatial (biased statistics only), odd H/W, H·W below, above and not a multiple of the
// 64-invocation workgroup, N = 2 (the backward loops over n inside one workgroup per channel); H·W = 16 and
// 1024 run as vec4 items, the others position by position.
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [1, 3, 5, 7],
  [2, 3, 4, 4],
  [1, 5, 1, 9],
  [2, 2, 9, 11],
  [1, 4, 17, 13],
  [1, 2, 32, 32],
];

// Forward values are O(1) normalized activations: f32 rounding stays near 1e-6, so the defaults hold
// (1e-5 abs + 1e-4 rel). Backward: dx = r·(g − mean(g) − x̂·Σgx̂/D) cancels terms of size |dy|·r ≈ 2, and the
// parameter gradients are sums over N·H·W terms, so 3e-5 abs + 3e-4 rel. Finite differences of the float64
// reference are exact to ~1e-9; the same tolerance applies there.
const FWD = [1e-5, 1e-4] as const;
const BWD = [3e-5, 3e-4] as const;
const FD = { atol: 3e-5, rtol: 3e-4, maxPoints: 150 };

describe.each(SHAPES)('norm [%i, %i, %i, %i]', (N, C, H, W) => {
  const P = H * W;
  const seed = 1000 * C + P + N;
  const x = uniform(N * C * P, seed, -2, 3);
  const dy = uniform(N * C * P, seed + 1);
  const gamma = uniform(C, seed + 2, 0.5, 2);
  const beta = uniform(C, seed + 3);
  const [Hs, Ws] = [H + 1, W + 2];
  const Ps = Hs * Ws;
  const style = uniform(N * C * Ps, seed + 4, -1, 4);
  // Both variance conventions with two eps where H·W allows an unbiased variance.
  const momentsList: ref.Moments[] = P > 1 ? [{ unbiased: true, eps: 1e-5 }, { unbiased: false, eps: 1e-3 }] : [{ unbiased: false, eps: 1e-5 }];

  it.each(momentsList)('channelMeanStd %o', async (m) => {
    const e = engine();
    const { mean, std } = channelMeanStd(e, e.tensor([N, C, H, W], x), m);
    expect(mean.shape).toEqual([N, C]);
    const want = ref.meanStd(x, N, C, P, m);
    expectClose(await mean.read(), want.mean, ...FWD, 'mean');
    expectClose(await std.read(), want.std, ...FWD, 'std');
  });

  it('instanceNorm defaults to biased variance, eps 1e-5', async () => {
    const e = engine();
    const y = instanceNorm(e, e.tensor([N, C, H, W], x));
    expectClose(await y.read(), ref.instanceNorm(x, N, C, P, { unbiased: false, eps: 1e-5 }), ...FWD);
  });

  it('instanceNorm with a fused ReLU, with and without affine', async () => {
    const e = engine();
    const xt = e.tensor([N, C, H, W], x);
    const relu = (v: Float64Array) => v.map((t) => Math.max(t, 0));
    const plain = ref.instanceNorm(x, N, C, P, { unbiased: false, eps: 1e-5 });
    expectClose(await instanceNorm(e, xt, { relu: true }).read(), relu(plain), ...FWD, 'relu');
    const m = momentsList[0];
    const affine = ref.instanceNorm(x, N, C, P, m, gamma, beta);
    const y = instanceNorm(e, xt, { ...m, gamma: e.tensor([C], gamma), beta: e.tensor([C], beta), relu: true });
    expectClose(await y.read(), relu(affine), ...FWD, 'affine relu');
  });

  it('instanceNorm with a fused residual add (plain, affine, affine + ReLU): the float64 reference, and the bits of norm then add in either order', async () => {
    const e = engine();
    const xt = e.tensor([N, C, H, W], x);
    const r = uniform(N * C * P, seed + 5, -3, 2);
    const rt = e.tensor([N, C, H, W], r);
    const m = momentsList[0];
    const [g, b] = [e.tensor([C], gamma), e.tensor([C], beta)];
    const cases = [
      { opts: { ...m }, want: ref.instanceNorm(x, N, C, P, m) },
      { opts: { ...m, gamma: g, beta: b }, want: ref.instanceNorm(x, N, C, P, m, gamma, beta) },
      { opts: { ...m, gamma: g, beta: b, relu: true }, want: ref.instanceNorm(x, N, C, P, m, gamma, beta).map((v) => Math.max(v, 0)) },
    ];
    for (const { opts, want } of cases) {
      const fused = await instanceNorm(e, xt, { ...opts, residual: rt }).read();
      expectClose(fused, want.map((v, i) => v + r[i]), ...FWD, 'residual');
      const y = instanceNorm(e, xt, opts);
      expect(fused).toEqual(await add(e, rt, y).read());
      expect(fused).toEqual(await add(e, y, rt).read());
    }
  });

  it.each(momentsList)('instanceNorm with affine, and backward w.r.t. x, gamma, beta %o', async (m) => {
    const e = engine();
    const xt = e.tensor([N, C, H, W], x);
    const g = e.tensor([C], gamma);
    const y = instanceNorm(e, xt, { ...m, gamma: g, beta: e.tensor([C], beta) });
    expectClose(await y.read(), ref.instanceNorm(x, N, C, P, m, gamma, beta), ...FWD);

    const grads = instanceNormBackward(e, xt, e.tensor([N, C, H, W], dy), { ...m, gamma: g });
    const dx = await grads.dx.read();
    const dgamma = await grads.dgamma!.read();
    const dbeta = await grads.dbeta!.read();
    const want = ref.instanceNormBackward(x, dy, N, C, P, m, gamma);
    expectClose(dx, want.dx, ...BWD, 'dx');
    expectClose(dgamma, want.dgamma, ...BWD, 'dgamma');
    expectClose(dbeta, want.dbeta, ...BWD, 'dbeta');
    gradCheck((v) => ref.instanceNorm(v, N, C, P, m, gamma, beta), x, dy, dx, { ...FD, what: 'dx' });
    gradCheck((v) => ref.instanceNorm(x, N, C, P, m, v, beta), gamma, dy, dgamma, { ...FD, what: 'dgamma' });
    gradCheck((v) => ref.instanceNorm(x, N, C, P, m, gamma, v), beta, dy, dbeta, { ...FD, what: 'dbeta' });
  });

  it.each(momentsList)('instanceNormBackward without affine %o', async (m) => {
    const e = engine();
    const grads = instanceNormBackward(e, e.tensor([N, C, H, W], x), e.tensor([N, C, H, W], dy), m);
    expect(grads.dgamma).toBeUndefined();
    const dx = await grads.dx.read();
    expectClose(dx, ref.instanceNormBackward(x, dy, N, C, P, m).dx, ...BWD);
    gradCheck((v) => ref.instanceNorm(v, N, C, P, m), x, dy, dx, FD);
  });

  it.each(momentsList)('adain and adainBackward %o', async (m) => {
    const e = engine();
    const xt = e.tensor([N, C, H, W], x);
    const st = e.tensor([N, C, Hs, Ws], style);
    const out = adain(e, xt, st, m);
    expectClose(await out.read(), ref.adain(x, style, N, C, P, Ps, m), ...FWD);
    const dx = await adainBackward(e, xt, st, e.tensor([N, C, H, W], dy), m).read();
    expectClose(dx, ref.adainBackward(x, style, dy, N, C, P, Ps, m), ...BWD);
    gradCheck((v) => ref.adain(v, style, N, C, P, Ps, m), x, dy, dx, FD);
  });
});

describe('norm defaults and numerics', () => {
  it('adain defaults to unbiased variance, eps 1e-5 (pytorch-AdaIN calc_mean_std)', async () => {
    const e = engine();
    const x = uniform(2 * 3 * 20, 5);
    const s = uniform(2 * 3 * 12, 6, 0, 5);
    const out = adain(e, e.tensor([2, 3, 4, 5], x), e.tensor([2, 3, 3, 4], s));
    expectClose(await out.read(), ref.adain(x, s, 2, 3, 20, 12, { unbiased: true, eps: 1e-5 }), ...FWD);
    const { std } = channelMeanStd(e, e.tensor([2, 3, 3, 4], s));
    expectClose(await std.read(), ref.meanStd(s, 2, 3, 12, { unbiased: true, eps: 1e-5 }).std, ...FWD);
  });

  it('variance is two-pass: a large offset does not cancel it away', async () => {
    // x = 1000 + small noise: E[x²] − E[x]² in f32 would lose every digit (ulp of 10⁶ is 0.06 ≫ var ≈ 8e-6).
    const e = engine();
    const P = 32 * 32;
    const x = uniform(2 * P, 8, 1000, 1000.01);
    const { std } = channelMeanStd(e, e.tensor([1, 2, 32, 32], x), { unbiased: false, eps: 0 });
    expectClose(await std.read(), ref.meanStd(x, 1, 2, P, { unbiased: false, eps: 0 }).std, 0, 1e-3);
  });

  it('rejects unbiased variance of one position and mismatched shapes, naming the op', () => {
    const e = engine();
    const one = e.tensor([1, 2, 1, 1]);
    const x = e.tensor([1, 2, 3, 3]);
    expect(() => channelMeanStd(e, one)).toThrow(/channelMeanStd: unbiased variance needs H·W ≥ 2 .*\[1, 2, 1, 1\]/);
    expect(() => instanceNorm(e, one, { unbiased: true })).toThrow(/instanceNorm: unbiased variance/);
    expect(() => adain(e, x, one)).toThrow(/adain: unbiased variance .*style/);
    expect(() => adain(e, x, e.tensor([1, 3, 3, 3]))).toThrow(/adain: style \[1, 3, 3, 3\] must have the batch and channels/);
    expect(() => instanceNorm(e, x, { gamma: e.tensor([2]) })).toThrow(/instanceNorm: give both gamma and beta/);
    expect(() => instanceNorm(e, x, { gamma: e.tensor([3]), beta: e.tensor([3]) })).toThrow(/instanceNorm: gamma must be \[2\], got \[3\]/);
    expect(() => instanceNormBackward(e, x, e.tensor([1, 2, 9]))).toThrow(/instanceNormBackward: dy must be \[1, 2, 3, 3\]/);
    expect(() => instanceNorm(e, e.tensor([2, 3]))).toThrow(/instanceNorm: x must be a non-empty \[N, C, H, W\]/);
    expect(() => instanceNorm(e, x, { eps: -1 })).toThrow(/instanceNorm: eps/);
    expect(() => instanceNorm(e, x, { residual: e.tensor([1, 2, 9]) })).toThrow(/instanceNorm: residual must be \[1, 2, 3, 3\], got \[1, 2, 9\]/);
    const out = e.tensor([1, 2, 3, 3]);
    expect(() => instanceNorm(e, x, { residual: out }, out)).toThrow(/instanceNorm: the residual cannot be the output tensor/);
  });

  it('instanceNorm with a residual writes a padded output: the interior holds the row-major result bit for bit, the border stays zero', async () => {
    const e = engine();
    // H·W = 30 position by position, 20 as vec4 items (each item's elements stored apart).
    for (const [N, C, H, W] of [[2, 3, 5, 6], [1, 2, 5, 4]]) {
      const layout: PaddedLayout = { top: 1, left: 2, height: H + 3, width: W + 3 };
      const x = e.tensor([N, C, H, W], uniform(N * C * H * W, 31, -2, 3));
      const r = e.tensor([N, C, H, W], uniform(N * C * H * W, 32, -1, 1));
      const opts = { gamma: e.tensor([C], uniform(C, 33, 0.5, 2)), beta: e.tensor([C], uniform(C, 34)), relu: true, residual: r };
      const want = await instanceNorm(e, x, opts).read();
      const padded = await instanceNorm(e, x, opts, e.zeros([N, C, H, W], layout)).storage().read();
      const interior = new Set<number>();
      for (let plane = 0; plane < N * C; plane++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++) {
            const i = paddedIndex(layout, plane, h, w);
            interior.add(i);
            expect(padded[i]).toBe(want[(plane * H + h) * W + w]);
          }
      expect(padded.every((v, i) => interior.has(i) || v === 0)).toBe(true);
    }
  });
});
