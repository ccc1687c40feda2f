import { describe, expect, it } from 'vitest';
import { scale } from '../src/kernels/elementwise.ts';
import { mseLoss, mseLossBackward, totalVariation, totalVariationBackward } from '../src/kernels/loss.ts';
import type { Tensor } from '../src/runtime/tensor.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/loss.ts';

const engine = useEngine();

// 1×1, a single row, a single column, odd H/W, N = 2, sizes that are not multiples of the 256-invocation
// workgroup nor of the reduction's 2048-element blocks.
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [1, 1, 1, 7],
  [1, 2, 5, 1],
  [1, 3, 5, 7],
  [2, 3, 4, 4],
  [1, 2, 17, 13],
  [1, 3, 32, 32],
];

// Forward: f32 tree sums of non-negative terms, error ≤ about log2(n)·2⁻²⁴ relative; 1e-5 relative (+1e-7 absolute
// for the zero TV of 1×1) covers n ≤ 3072 with margin. Backward: one f32 subtraction and two products per element,
// so 1e-5 relative; the absolute floor is below the smallest nonzero gradient (2/n·|a − b| ≥ ~1e-7 here).
const SUM_TOL = [1e-7, 1e-5] as const;
const GRAD_TOL = [1e-9, 1e-5] as const;
const FD = { atol: 1e-7, rtol: 1e-4, maxPoints: 200 };

describe.each(SHAPES)('loss [%i, %i, %i, %i]', (N, C, H, W) => {
  const n = N * C * H * W;
  const a = uniform(n, 31 + n);
  const b = uniform(n, 32 + n);
  const dL = 0.75;

  it('mseLoss and mseLossBackward', async () => {
    const e = engine();
    const at = e.tensor([N, C, H, W], a);
    const bt = e.tensor([N, C, H, W], b);
    const loss = mseLoss(e, at, bt);
    expect(loss.shape).toEqual([1]);
    expectClose(await loss.read(), [ref.mse(a, b)], ...SUM_TOL);
    const da = await mseLossBackward(e, at, bt, e.tensor([1], [dL])).read();
    expectClose(da, ref.mseBackward(a, b, dL), ...GRAD_TOL);
    gradCheck((v) => [ref.mse(v, b)], a, [dL], da, FD);
  });

  it('totalVariation and totalVariationBackward', async () => {
    const e = engine();
    const xt = e.tensor([N, C, H, W], a);
    const loss = totalVariation(e, xt);
    expect(loss.shape).toEqual([1]);
    expectClose(await loss.read(), [ref.tv(a, N * C, H, W)], ...SUM_TOL);
    const dx = await totalVariationBackward(e, xt, e.tensor([1], [dL])).read();
    expectClose(dx, ref.tvBackward(a, N * C, H, W, dL), 1e-6, 1e-5);
    gradCheck((v) => [ref.tv(v, N * C, H, W)], a, [dL], dx, { ...FD, atol: 1e-5 });
  });
});

// Loss weights (folded in by the lossWeight rewrite, src/graph/patterns.ts): each kernel with a weight against
// float64, and against the unweighted kernel followed by the scale it replaces: tvBackward of dL = w·1 bit for bit
// (2w is 2·w exactly), mse within 4 roundings, tv within its sum's bound (weighted terms summed).
describe.each(SHAPES)('weighted losses [%i, %i, %i, %i]', (N, C, H, W) => {
  const n = N * C * H * W;
  const a = uniform(n, 41 + n);
  const b = uniform(n, 42 + n);
  const w = 0.37;
  it('mse, tv and their backward with weight w', async () => {
    const e = engine();
    const [at, bt] = [e.tensor([N, C, H, W], a), e.tensor([N, C, H, W], b)];
    const one = e.tensor([1], [1]);
    const scaled = async (t: Tensor) => (await scale(e, t, w).read())[0];
    const mse = (await mseLoss(e, at, bt, w).read())[0];
    expectClose([mse], [w * ref.mse(a, b)], ...SUM_TOL);
    expectClose([mse], [await scaled(mseLoss(e, at, bt))], 0, 4 * 2 ** -24);
    const tv = (await totalVariation(e, at, w).read())[0];
    expectClose([tv], [w * ref.tv(a, N * C, H, W)], ...SUM_TOL);
    expectClose([tv], [await scaled(totalVariation(e, at))], SUM_TOL[0], 2 * SUM_TOL[1]);
    const dmse = await mseLossBackward(e, at, bt, one, w).read();
    expectClose(dmse, ref.mseBackward(a, b, w), ...GRAD_TOL);
    expectClose(dmse, await mseLossBackward(e, at, bt, scale(e, one, w)).read(), 0, 4 * 2 ** -24);
    const dtv = await totalVariationBackward(e, at, one, w).read();
    expectClose(dtv, ref.tvBackward(a, N * C, H, W, w), 1e-6, 1e-5);
    expect(Array.from(dtv)).toEqual(Array.from(await totalVariationBackward(e, at, scale(e, one, w)).read()));
  });
});

describe('loss input validation', () => {
  it('rejects mismatched shapes and a non-scalar dL, naming the op', () => {
    const e = engine();
    const x = e.tensor([1, 2, 3, 3]);
    expect(() => mseLoss(e, x, e.tensor([1, 2, 9]))).toThrow(/mseLoss: shapes differ, \[1, 2, 3, 3\] vs \[1, 2, 9\]/);
    expect(() => mseLossBackward(e, x, x, e.tensor([2]))).toThrow(/mseLossBackward: dL must hold one value/);
    expect(() => totalVariation(e, e.tensor([3, 3]))).toThrow(/totalVariation: x must be a non-empty \[N, C, H, W\]/);
    expect(() => totalVariationBackward(e, x, e.tensor([1, 2]))).toThrow(/totalVariationBackward: dL must hold one value/);
    expect(() => mseLoss(e, x, x, Number.NaN)).toThrow(/mseLoss: weight must be finite, got NaN/);
    expect(() => totalVariation(e, x, Number.POSITIVE_INFINITY)).toThrow(/totalVariation: weight must be finite/);
  });
});
