import { describe, expect, it } from 'vitest';
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from '../src/kernels/pool.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { rng, uniform } from './helpers/random.ts';
import * as ref from './reference/pool.ts';

const engine = useEngine();
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** n distinct values 0.01 apart in shuffled order: no ties, and a ±1e-4 step never changes an argmax. */
function distinct(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const v = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.01);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

// [N, C, H, W], kernel, stride, ceil mode: even and odd sizes, overlap (s < k), gaps (s > k), 1×1 in and out,
// and ceil mode with clipped last windows (odd sizes, k2 s2 as torch-AdaIN's VGG; k3 s2; overlap).
const CASES: [number[], number, number, boolean][] = [
  [[2, 3, 8, 8], 2, 2, false],
  [[1, 2, 7, 9], 2, 2, false],
  [[1, 3, 9, 11], 3, 2, false],
  [[2, 1, 5, 6], 3, 1, false],
  [[1, 5, 4, 5], 2, 3, false],
  [[1, 2, 3, 3], 3, 3, false],
  [[1, 1, 1, 1], 1, 1, false],
  [[3, 67, 3, 2], 2, 1, false],
  [[1, 2, 7, 9], 2, 2, true],
  [[2, 3, 8, 10], 3, 2, true],
  [[1, 2, 5, 6], 3, 3, true],
  [[1, 1, 3, 3], 2, 2, true],
  [[1, 2, 5, 261], 2, 2, true], // 131 windows a row: more than one workgroup of the disjoint backward
];

describe.each(CASES)('pooling %j, kernel %i, stride %i, ceil mode %s', (shape, k, s, ceil) => {
  const outShape = ref.pooledShape(shape, k, s, ceil);
  const x = distinct(sizeOf(shape), 7 + sizeOf(shape));
  const dy = uniform(sizeOf(outShape), 8 + sizeOf(shape));
  const opts = { kernel: k, stride: s, ceilMode: ceil };

  // Max selects and adds at most ⌈k/s⌉² f32 values: exact up to a rounding or two.
  it('maxPool2d and its backward', async () => {
    const e = engine();
    const xt = e.tensor(shape, x);
    const y = maxPool2d(e, xt, opts);
    expect(y.shape).toEqual(outShape);
    expectClose(await y.read(), ref.maxPool2d(x, shape, k, s, ceil), 0, 0);
    const dx = await maxPool2dBackward(e, xt, e.tensor(outShape, dy), opts).read();
    expectClose(dx, ref.maxPool2dBackward(x, shape, k, s, dy, ceil), 1e-6, 1e-6);
    gradCheck((v) => ref.maxPool2d(v, shape, k, s, ceil), x, dy, dx, { atol: 1e-5, rtol: 1e-5 });
  });

  // A k² sum and one division in f32: ~1e-7 relative.
  it('avgPool2d and its backward', async () => {
    const e = engine();
    const y = avgPool2d(e, e.tensor(shape, x), opts);
    expect(y.shape).toEqual(outShape);
    expectClose(await y.read(), ref.avgPool2d(x, shape, k, s, ceil), 1e-6, 1e-5);
    const dx = await avgPool2dBackward(e, e.tensor(outShape, dy), shape, opts).read();
    expectClose(dx, ref.avgPool2dBackward(shape, k, s, dy, ceil), 1e-6, 1e-5);
    gradCheck((v) => ref.avgPool2d(v, shape, k, s, ceil), x, dy, dx, { atol: 1e-5, rtol: 1e-5 });
  });
});

describe.each([
  [[2, 2, 6, 7], 2, 2],
  [[1, 3, 9, 8], 3, 2],
  [[1, 1, 5, 5], 3, 1],
])('maxPool2d ties take the first maximum, %j, kernel %i, stride %i', (shape, k, s) => {
  it('forward and backward match the reference', async () => {
    const e = engine();
    // Three levels only: most windows hold several equal maxima.
    const x = Float32Array.from(uniform(sizeOf(shape), 11), (v) => Math.round(v));
    const outShape = ref.pooledShape(shape, k, s);
    const dy = uniform(sizeOf(outShape), 12);
    const xt = e.tensor(shape, x);
    expectClose(await maxPool2d(e, xt, { kernel: k, stride: s }).read(), ref.maxPool2d(x, shape, k, s), 0, 0);
    const dx = await maxPool2dBackward(e, xt, e.tensor(outShape, dy), { kernel: k, stride: s }).read();
    expectClose(dx, ref.maxPool2dBackward(x, shape, k, s, dy), 1e-6, 1e-6);
  });
});

it('maxPool2dBackward scatters over disjoint windows and gathers over overlapping ones', () => {
  const e = engine();
  const x = e.tensor([1, 2, 6, 6], uniform(72, 3));
  const before = { ...e.stats.byKernel };
  maxPool2dBackward(e, x, e.zeros([1, 2, 3, 3]), { kernel: 2 }).release();
  maxPool2dBackward(e, x, e.zeros([1, 2, 2, 2]), { kernel: 2, stride: 3 }).release();
  maxPool2dBackward(e, x, e.zeros([1, 2, 2, 2]), { kernel: 3, stride: 2 }).release();
  const ran = (k: string) => (e.stats.byKernel[k] ?? 0) - (before[k] ?? 0);
  expect(ran('pool.maxPoolBackwardDisjoint')).toBe(2);
  expect(ran('pool.maxPoolBackward')).toBe(1);
});

it('pooling validates its arguments', () => {
  const e = engine();
  const x = e.zeros([1, 2, 5, 5]);
  expect(() => maxPool2d(e, e.zeros([2, 5, 5]), { kernel: 2 })).toThrow(/maxPool2d: input must be \[N, C, H, W\], got \[2, 5, 5\]/);
  expect(() => avgPool2d(e, x, { kernel: 6 })).toThrow(/avgPool2d: kernel 6 does not fit input \[1, 2, 5, 5\]/);
  expect(() => maxPool2d(e, x, { kernel: 2, stride: 0 })).toThrow(/positive integers/);
  expect(() => maxPool2dBackward(e, x, e.zeros([1, 2, 3, 3]), { kernel: 2 })).toThrow(/dy must be the pooled shape \[1, 2, 2, 2\], got \[1, 2, 3, 3\]/);
  expect(() => avgPool2dBackward(e, e.zeros([1, 2, 2, 3]), [1, 2, 5, 5], { kernel: 2 })).toThrow(/avgPool2dBackward: dy must be/);
});
