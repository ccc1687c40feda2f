// Padded layouts (geometry.ts PaddedLayout): every producer of the program's paddedOutput plan writes its
// output inside a zero border on awkward shapes, checked against the float64 references (values at
// paddedIndex, the border still zero); the direct conv kernels read such an input in place of their padding
// pass with bit-identical results; and a padded tensor is refused wherever it is not understood.
import { describe, expect, it } from 'vitest';
import { leakyRelu, leakyReluBackward, relu, reluBackward } from '../src/kernels/activation.ts';
import { conv2d, conv2dBackwardInput, conv2dBackwardInputLayout, conv2dInputLayout, samePadding } from '../src/kernels/conv2d.ts';
import { type PaddedLayout, paddedIndex, paddedStorageShape } from '../src/kernels/geometry.ts';
import { activationBackwardSum } from '../src/kernels/gradientAdd.ts';
import { instanceNorm } from '../src/kernels/norm.ts';
import { avgPool2d, maxPool2d } from '../src/kernels/pool.ts';
import type { Engine } from '../src/runtime/engine.ts';
import type { Tensor } from '../src/runtime/tensor.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';
import * as actRef from './reference/activation.ts';
import * as normRef from './reference/norm.ts';
import * as poolRef from './reference/pool.ts';

const engine = useEngine();
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A layout with an uneven border around an H × W plane: `top`/`left` before, extra rows and columns after. */
const border = (H: number, W: number, top: number, left: number, extraRows: number, extraCols: number): PaddedLayout => ({ top, left, height: top + H + extraRows, width: left + W + extraCols });

/** Reads `t` (padded) and checks its values against `want` (row-major over t.shape) and its border is zero. */
async function expectPadded(t: Tensor, want: ArrayLike<number>, atol: number, rtol: number): Promise<void> {
  const layout = t.layout!;
  const got = await t.storage().read();
  const [N, C, H, W] = t.shape;
  expect(got.length).toBe(sizeOf(paddedStorageShape(t.shape, layout)));
  const interior = new Float32Array(N * C * H * W);
  const inside = new Uint8Array(got.length);
  for (let plane = 0; plane < N * C; plane++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        const i = paddedIndex(layout, plane, h, w);
        interior[(plane * H + h) * W + w] = got[i];
        inside[i] = 1;
      }
  expectClose(interior, want, atol, rtol);
  const borderValues = Array.from(got).filter((_, i) => !inside[i]);
  expect(borderValues.length).toBe(got.length - interior.length);
  expect(borderValues.every((v) => v === 0)).toBe(true);
}

// [N, C, H, W] with odd planes (no vec4 items), planes a multiple of 4 but rows not, and a layout per shape.
const SHAPES: [number[], PaddedLayout][] = [
  [[1, 3, 5, 7], border(5, 7, 1, 1, 3, 5)],
  [[2, 2, 4, 6], border(4, 6, 2, 3, 1, 1)],
  [[1, 5, 3, 4], border(3, 4, 0, 1, 4, 0)],
];

describe('producers writing a padded layout', () => {
  it('maxPool2d and avgPool2d (window 2 stride 2, window 3 stride 2 in ceil mode)', async () => {
    const e = engine();
    for (const [shape, window] of [[[1, 3, 9, 11], { kernel: 2, stride: 2 }], [[2, 2, 7, 6], { kernel: 3, stride: 2, ceilMode: true }]] as const) {
      const xs = uniform(sizeOf(shape), 11, -1, 1);
      const x = e.tensor(shape, xs);
      const out = poolRef.pooledShape(shape, window.kernel, window.stride, 'ceilMode' in window);
      const layout = border(out[2], out[3], 1, 2, 3, 1);
      const maxOut = maxPool2d(e, x, window, e.zeros(out, layout));
      await expectPadded(maxOut, poolRef.maxPool2d(xs, shape, window.kernel, window.stride, 'ceilMode' in window), 0, 0);
      const avgOut = avgPool2d(e, x, window, e.zeros(out, layout));
      await expectPadded(avgOut, poolRef.avgPool2d(xs, shape, window.kernel, window.stride, 'ceilMode' in window), 1e-6, 1e-5);
      for (const t of [x, maxOut, avgOut]) t.release();
    }
  });

  it('relu, leakyRelu and their backward passes (scalar and vec4 items)', async () => {
    const e = engine();
    for (const [[N, C, H, W], layout] of SHAPES) {
      const shape = [N, C, H, W];
      const xs = uniform(sizeOf(shape), 12, -1, 1);
      const dys = uniform(sizeOf(shape), 13, -1, 1);
      const [x, dy] = [e.tensor(shape, xs), e.tensor(shape, dys)];
      const outs = [
        [relu(e, x, e.zeros(shape, layout)), actRef.leakyRelu(xs, 0)],
        [leakyRelu(e, x, 0.2, e.zeros(shape, layout)), actRef.leakyRelu(xs, 0.2)],
        [reluBackward(e, x, dy, e.zeros(shape, layout)), actRef.leakyReluBackward(xs, dys, 0)],
        [leakyReluBackward(e, x, dy, 0.3, e.zeros(shape, layout)), actRef.leakyReluBackward(xs, dys, 0.3)],
      ] as const;
      for (const [t, want] of outs) await expectPadded(t, want, 1e-7, 1e-6);
      for (const t of [x, dy, ...outs.map(([t]) => t)]) t.release();
    }
  });

  it('activationBackwardSum (scalar and vec4 items, slope 0 and 0.2): float64, and the row-major result bit for bit', async () => {
    const e = engine();
    for (const [[N, C, H, W], layout] of SHAPES) {
      const shape = [N, C, H, W];
      const [ys, as, bs] = [17, 18, 19].map((seed) => uniform(sizeOf(shape), seed, -1, 1));
      const [y, a, b] = [ys, as, bs].map((v) => e.tensor(shape, v));
      for (const slope of [0, 0.2]) {
        const padded = activationBackwardSum(e, y, a, b, slope, e.zeros(shape, layout));
        await expectPadded(padded, actRef.leakyReluBackward(ys, Array.from(as, (v, i) => v + bs[i]), slope), 1e-7, 1e-6);
        const plain = activationBackwardSum(e, y, a, b, slope);
        await expectPadded(padded, await plain.read(), 0, 0);
        for (const t of [padded, plain]) t.release();
      }
      for (const t of [y, a, b]) t.release();
    }
  });

  it('instanceNorm, with and without affine parameters and ReLU', async () => {
    const e = engine();
    const m = { unbiased: false, eps: 1e-5 };
    for (const [[N, C, H, W], layout] of SHAPES) {
      const shape = [N, C, H, W];
      const xs = uniform(sizeOf(shape), 14, -2, 3);
      const [gs, bs] = [uniform(C, 15, 0.5, 1.5), uniform(C, 16, -0.5, 0.5)];
      const [x, gamma, beta] = [e.tensor(shape, xs), e.tensor([C], gs), e.tensor([C], bs)];
      const plain = normRef.instanceNorm(xs, N, C, H * W, m);
      const affine = normRef.instanceNorm(xs, N, C, H * W, m, gs, bs);
      const y1 = instanceNorm(e, x, {}, e.zeros(shape, layout));
      await expectPadded(y1, plain, 1e-5, 1e-4);
      const y2 = instanceNorm(e, x, { gamma, beta, relu: true }, e.zeros(shape, layout));
      await expectPadded(y2, actRef.leakyRelu(affine, 0), 1e-5, 1e-4);
      for (const t of [x, gamma, beta, y1, y2]) t.release();
    }
  });

  it('a producer refuses an output of the wrong shape', () => {
    const e = engine();
    const x = e.tensor([1, 2, 4, 4], uniform(32, 1));
    const wrong = e.zeros([1, 2, 4, 5], border(4, 5, 1, 1, 1, 1));
    expect(() => relu(e, x, wrong)).toThrow('leakyRelu: output must be [1, 2, 4, 4], got a tensor of [1, 2, 4, 5]');
    x.release();
    wrong.release();
  });
});

/** x written by relu into `layout` (as the program does), and the same x row-major. */
function bothLayouts(e: Engine, shape: number[], layout: PaddedLayout, seed: number) {
  const pre = e.tensor(shape, uniform(sizeOf(shape), seed, -1, 1));
  const padded = relu(e, pre, e.zeros(shape, layout));
  const plain = relu(e, pre);
  pre.release();
  return { padded, plain };
}

describe('direct convolutions reading a padded input', () => {
  // conv3x3Subgroup (3×3 stride 1), conv2d3x3, convKxKSubgroup (stride 2, SAME padding, odd on one side),
  // convNarrowSubgroup (9×9, 3 output channels), on odd sizes.
  const CASES: { name: string; x: number[]; w: number[]; stride: number; padding: number | ReturnType<typeof samePadding>; impl?: string }[] = [
    { name: 'conv3x3Subgroup', x: [1, 5, 11, 13], w: [6, 5, 3, 3], stride: 1, padding: 1 },
    { name: 'conv2d3x3', x: [2, 3, 7, 9], w: [5, 3, 3, 3], stride: 1, padding: 1, impl: 'conv2d3x3' },
    { name: 'convKxKSubgroup', x: [1, 4, 13, 10], w: [8, 4, 3, 3], stride: 2, padding: samePadding(13, 10, 3, 3, 2) },
    { name: 'convNarrowSubgroup', x: [1, 6, 10, 12], w: [3, 6, 9, 9], stride: 1, padding: 4 },
  ];
  for (const c of CASES) {
    it(`${c.name}: the planned layout, read in place of padInput, gives the same bits`, async () => {
      const e = engine();
      const opts = { stride: c.stride, padding: c.padding, impl: c.impl };
      const planned = conv2dInputLayout(e.ctx, c.x, c.w, opts);
      expect(planned?.impl).toBe(c.name);
      const w = e.tensor(c.w, uniform(sizeOf(c.w), 21, -0.3, 0.3));
      const bias = e.tensor([c.w[0]], uniform(c.w[0], 22));
      const { padded, plain } = bothLayouts(e, c.x, planned!.layout, 23);
      const before = e.stats.byKernel['conv2d.padInput'] ?? 0;
      const fromPadded = conv2d(e, padded, w, { ...opts, bias, activation: 'relu', impl: planned!.impl });
      expect(e.stats.byKernel['conv2d.padInput'] ?? 0).toBe(before);
      const fromPlain = conv2d(e, plain, w, { ...opts, bias, activation: 'relu', impl: planned!.impl });
      expect(e.stats.byKernel['conv2d.padInput']).toBe(before + 1);
      expect(Array.from(await fromPadded.read())).toEqual(Array.from(await fromPlain.read()));
      for (const t of [w, bias, padded, plain, fromPadded, fromPlain]) t.release();
    });
  }

  it('conv2dBackwardInput (a stride-1 gather on a direct kernel) reads the output gradient padded', async () => {
    const e = engine();
    const [xs, ws] = [[1, 4, 9, 7], [6, 4, 3, 3]];
    const planned = conv2dBackwardInputLayout(e.ctx, xs, ws, { padding: 1 });
    expect(planned).toBeDefined();
    const w = e.tensor(ws, uniform(sizeOf(ws), 31));
    const { padded, plain } = bothLayouts(e, [1, 6, 9, 7], planned!.layout, 32);
    const a = conv2dBackwardInput(e, padded, w, xs, { padding: 1, impl: planned!.impl });
    const b = conv2dBackwardInput(e, plain, w, xs, { padding: 1, impl: planned!.impl });
    expect(Array.from(await a.read())).toEqual(Array.from(await b.read()));
    for (const t of [w, padded, plain, a, b]) t.release();
  });

  it('a padded tensor is refused where its layout is not the one read: another kernel, another layout, reflect padding, read/write', async () => {
    const e = engine();
    const xs = [1, 2, 6, 6];
    const ws = [4, 2, 3, 3];
    const planned = conv2dInputLayout(e.ctx, xs, ws, { padding: 1 })!;
    const { padded, plain } = bothLayouts(e, xs, planned.layout, 41);
    const w = e.tensor(ws, uniform(72, 42));
    expect(() => conv2d(e, padded, w, { padding: 1, impl: 'conv2dNaive' })).toThrow(/binding 'x' is stored in a padded layout/);
    expect(() => conv2d(e, padded, w, { padding: 2 })).toThrow(/conv2d: input \[1, 2, 6, 6\] is stored in layout/);
    expect(() => conv2d(e, padded, w, { padding: 1, padMode: 'reflect' })).toThrow(/the kernel reads reflect padding/);
    await expect(padded.read()).rejects.toThrow(/read: tensor \[1, 2, 6, 6\] is stored in a padded layout/);
    expect(() => padded.reshape([2, 36])).toThrow(/not row-major/);
    expect(() => e.zeros(xs, { top: 1, left: 1, height: 6, width: 8 })).toThrow(/cannot hold \[1, 2, 6, 6\]/);
    for (const t of [padded, plain, w]) t.release();
  });
});
