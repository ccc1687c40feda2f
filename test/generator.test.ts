import { describe, expect, it } from 'vitest';
import { residualAdd } from '../src/kernels/elementwise.ts';
import { resizeBilinear, resizeBilinearBackward, upsampleNearest2x, upsampleNearest2xBackward } from '../src/kernels/resample.ts';
import { blur3x3, linear, noiseInjection, pixelNorm } from '../src/kernels/stylegan.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/generator.ts';

const engine = useEngine();
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

describe.each([
  [1, 1, 1],
  [2, 5, 3],
  [3, 37, 257],
  [1, 512, 64],
])('linear, N %i, In %i, Out %i', (N, In, Out) => {
  const x = uniform(N * In, N + In);
  const w = uniform(Out * In, In + Out);
  const bias = uniform(Out, Out);
  // f32 dot products of up to 512 terms (|x·w| ≤ 1): rounding grows like √In·ε·|terms|, well below 1e-5.
  it('with equalised-lr scales and bias', async () => {
    const e = engine();
    const lrMul = 0.01;
    const weightScale = lrMul / Math.sqrt(In);
    const y = linear(e, e.tensor([N, In], x), e.tensor([Out, In], w), { bias: e.tensor([Out], bias), weightScale, biasScale: lrMul });
    expect(y.shape).toEqual([N, Out]);
    expectClose(await y.read(), ref.linear(x, [N, In], w, Out, bias, weightScale, lrMul), 1e-6, 1e-4);
  });
  it('without bias, scale 1', async () => {
    const e = engine();
    const y = await linear(e, e.tensor([N, In], x), e.tensor([Out, In], w)).read();
    expectClose(y, ref.linear(x, [N, In], w, Out, undefined), 1e-5, 1e-4);
  });
});

// One inverse square root per pixel (a few ulp) times each element: 1e-5 relative.
describe.each([[[2, 5, 3, 7]], [[1, 1, 1, 1]], [[3, 512]], [[1, 67, 4, 4]]])('pixelNorm, shape %j', (shape) => {
  it('matches the reference', async () => {
    const e = engine();
    const x = uniform(sizeOf(shape), 3 + sizeOf(shape), -3, 3);
    const y = await pixelNorm(e, e.tensor(shape, x)).read();
    expectClose(y, ref.pixelNorm(x, shape, 1e-8), 1e-6, 1e-5);
  });
});

it('pixelNorm of an all-zero pixel is 0, and eps is honoured', async () => {
  const e = engine();
  const x = [0, 0, 0, 1e-3, -2e-3, 0];
  expectClose(await pixelNorm(e, e.tensor([1, 3, 2], x)).read(), ref.pixelNorm(x, [1, 3, 2], 1e-8), 1e-6, 1e-5);
  expectClose(await pixelNorm(e, e.tensor([1, 3, 2], x), 1e-4).read(), ref.pixelNorm(x, [1, 3, 2], 1e-4), 1e-6, 1e-5);
});

describe.each([[[2, 3, 5, 7]], [[1, 1, 1, 1]], [[2, 67, 3, 1]]])('noiseInjection, shape %j', (shape) => {
  const [N, C, H, W] = shape;
  const x = uniform(sizeOf(shape), 5);
  const noise = uniform(N * H * W, 6, -3, 3);
  it.each([C, 1])('with a weight of %i value(s)', async (nw) => {
    const e = engine();
    const weight = uniform(nw, 7 + nw);
    const y = noiseInjection(e, e.tensor(shape, x), e.tensor([nw], weight), e.tensor([N, 1, H, W], noise));
    expectClose(await y.read(), ref.noiseInjection(x, shape, weight, noise), 1e-6, 1e-6);
  });
});

// Copies and sums of four values: exact to one rounding.
describe.each([[[2, 3, 5, 7]], [[1, 1, 1, 1]], [[1, 67, 2, 3]]])('upsampleNearest2x, shape %j', (shape) => {
  const [N, C, H, W] = shape;
  it('forward and backward', async () => {
    const e = engine();
    const x = uniform(sizeOf(shape), 8);
    const y = upsampleNearest2x(e, e.tensor(shape, x));
    expect(y.shape).toEqual([N, C, 2 * H, 2 * W]);
    expectClose(await y.read(), ref.upsampleNearest2x(x, shape), 0, 0);
    const dy = uniform(y.size, 9);
    const dx = await upsampleNearest2xBackward(e, e.tensor(y.shape, dy)).read();
    expectClose(dx, ref.upsampleNearest2xBackward(dy, shape), 1e-6, 1e-6);
    gradCheck((v) => ref.upsampleNearest2x(v, shape), x, dy, dx, { atol: 1e-5, rtol: 1e-5 });
  });
});

// Two-level linear interpolation in f32 (scale and source coordinate in f32 as PyTorch does): ~1e-6; the
// backward adds up to (2/scale)² such terms when upsampling.
describe.each([
  [[1, 2, 5, 7], 11, 13],
  [[1, 1, 2, 3], 21, 25],
  [[1, 1, 17, 23], 3, 2],
  [[1, 2, 5, 7], 10, 14],
  [[1, 2, 5, 7], 3, 4],
  [[1, 2, 5, 7], 5, 7],
  [[1, 2, 5, 7], 1, 1],
  [[2, 3, 1, 1], 3, 2],
  [[1, 1, 8, 8], 3, 5],
  [[1, 67, 3, 2], 4, 5],
])('resizeBilinear %j to %i×%i', (shape, OH, OW) => {
  it('matches the reference', async () => {
    const e = engine();
    const x = uniform(sizeOf(shape), 10 + OH * OW);
    const y = resizeBilinear(e, e.tensor(shape, x), OH, OW);
    expect(y.shape).toEqual([shape[0], shape[1], OH, OW]);
    expectClose(await y.read(), ref.resizeBilinear(x, shape, OH, OW), 2e-6, 1e-5);
  });
  it('backward', async () => {
    const e = engine();
    const x = uniform(sizeOf(shape), 10 + OH * OW);
    const dy = uniform(shape[0] * shape[1] * OH * OW, 11 + OH * OW);
    const dx = resizeBilinearBackward(e, e.tensor([shape[0], shape[1], OH, OW], dy), shape);
    expect(dx.shape).toEqual(shape);
    const got = await dx.read();
    expectClose(got, ref.resizeBilinearBackward(dy, shape, OH, OW), 1e-5, 1e-5);
    gradCheck((v) => ref.resizeBilinear(v, shape, OH, OW), x, dy, got, { atol: 1e-5, rtol: 1e-5 });
  });
});

describe.each([[[2, 3, 5, 7]], [[1, 1, 1, 1]], [[1, 2, 1, 6]], [[1, 67, 3, 3]]])('blur3x3, shape %j', (shape) => {
  it('matches the reference', async () => {
    const e = engine();
    const x = uniform(sizeOf(shape), 12);
    expectClose(await blur3x3(e, e.tensor(shape, x)).read(), ref.blur3x3(x, shape), 1e-6, 1e-5);
  });
});

it('residualAdd adds tensors of equal shape', async () => {
  const e = engine();
  const a = uniform(2 * 3 * 4 * 5, 13);
  const b = uniform(a.length, 14);
  const y = await residualAdd(e, e.tensor([2, 3, 4, 5], a), e.tensor([2, 3, 4, 5], b)).read();
  expectClose(y, Float64Array.from(a, (v, i) => v + b[i]), 1e-6, 1e-6);
});

it('generator ops validate shapes', () => {
  const e = engine();
  const x = e.zeros([1, 3, 4, 4]);
  expect(() => linear(e, e.zeros([2, 5]), e.zeros([3, 4]))).toThrow(/linear: x must be \[N, 4\] for weight \[3, 4\], got \[2, 5\]/);
  expect(() => linear(e, e.zeros([2, 4]), e.zeros([3, 4]), { bias: e.zeros([4]) })).toThrow(/linear: bias must be \[3\]/);
  expect(() => noiseInjection(e, x, e.zeros([3]), e.zeros([1, 3, 4, 4]))).toThrow(/noise must be \[1, 1, 4, 4\]/);
  expect(() => noiseInjection(e, x, e.zeros([2]), e.zeros([1, 1, 4, 4]))).toThrow(/weight must be \[3\] or \[1\]/);
  expect(() => upsampleNearest2xBackward(e, e.zeros([1, 3, 5, 4]))).toThrow(/even H and W/);
  expect(() => resizeBilinear(e, x, 0, 3)).toThrow(/resizeBilinear: cannot resize \[1, 3, 4, 4\] to 0×3/);
  expect(() => resizeBilinearBackward(e, e.zeros([1, 3, 8, 8]), [1, 2, 4, 4])).toThrow(/input shape \[1, 2, 4, 4\] does not match dy \[1, 3, 8, 8\]/);
  expect(() => blur3x3(e, e.zeros([3, 4, 4]))).toThrow(/blur3x3: x must be \[N, C, H, W\]/);
  expect(() => residualAdd(e, x, e.zeros([1, 3, 2, 8]))).toThrow(/residualAdd: shapes differ/);
});
