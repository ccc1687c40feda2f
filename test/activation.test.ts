import { describe, expect, it } from 'vitest';
import {
  affine,
  affineBackward,
  leakyRelu,
  leakyReluBackward,
  relu,
  reluBackward,
  scalarAffine,
  tanh,
  tanhBackward,
} from '../src/kernels/activation.ts';
import { scale } from '../src/kernels/elementwise.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/activation.ts';

const engine = useEngine();
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** Uniform data pushed at least 0.05 away from 0, so finite differences never straddle the relu kink. */
const offKink = (n: number, seed: number) => uniform(n, seed, -2, 2).map((v) => (v < 0 ? v - 0.05 : v + 0.05));

// Pointwise kernels: one f32 op per element, so they match the float64 reference to rounding (1e-6).
// [2, 4, 6, 4] (192 elements) and [8] run as vec4 items; the others element by element.
describe.each([[[1]], [[2, 3, 5, 7]], [[3, 257]], [[1, 1, 1, 1]], [[2, 4, 6, 4]], [[8]]])('pointwise activations, shape %j', (shape) => {
  const n = sizeOf(shape);
  const x = offKink(n, 10 + n);
  const dy = uniform(n, 20 + n);

  it.each([0, 0.2, -0.5])('leakyRelu and its backward, slope %f', async (slope) => {
    const e = engine();
    const xt = e.tensor(shape, x);
    const dyt = e.tensor(shape, dy);
    expectClose(await leakyRelu(e, xt, slope).read(), ref.leakyRelu(x, slope), 1e-6, 1e-6);
    const dx = await leakyReluBackward(e, xt, dyt, slope).read();
    expectClose(dx, ref.leakyReluBackward(x, dy, slope), 1e-6, 1e-6);
    gradCheck((v) => ref.leakyRelu(v, slope), x, dy, dx, { atol: 1e-5, rtol: 1e-5 });
  });

  it('relu and reluBackward (from x and from y)', async () => {
    const e = engine();
    const xt = e.tensor(shape, x);
    const dyt = e.tensor(shape, dy);
    const y = relu(e, xt);
    expectClose(await y.read(), ref.leakyRelu(x, 0), 0, 0);
    const want = ref.leakyReluBackward(x, dy, 0);
    expectClose(await reluBackward(e, xt, dyt).read(), want, 0, 0);
    expectClose(await reluBackward(e, y, dyt).read(), want, 0, 0);
  });

  it('tanh and tanhBackward', async () => {
    const e = engine();
    const xt = e.tensor(shape, x);
    const y = tanh(e, xt);
    const yv = await y.read();
    // tanh is a built-in with a few ulp of error; 2e-6 absolute covers it on every backend we know.
    expectClose(yv, ref.tanh(x), 2e-6, 1e-5);
    const dx = await tanhBackward(e, y, e.tensor(shape, dy)).read();
    expectClose(dx, ref.tanhBackward(yv, dy), 1e-6, 1e-5);
    gradCheck(ref.tanh, x, dy, dx, { h: 1e-5, atol: 1e-5, rtol: 1e-4 });
  });

  it('scalarAffine and its backward', async () => {
    const e = engine();
    const out = await scalarAffine(e, e.tensor(shape, x), 150, 127.5).read();
    // |y| reaches ~460: one f32 rounding of that is ~3e-5.
    expectClose(out, ref.scalarAffine(x, 150, 127.5), 1e-4, 1e-6);
    // ∂/∂x of scalarAffine is a·dy: the graph's gradient rule runs the elementwise scale kernel.
    const dx = await scale(e, e.tensor(shape, dy), 150).read();
    gradCheck((v) => ref.scalarAffine(v, 150, 127.5), x, dy, dx, { atol: 1e-4, rtol: 1e-6 });
  });
});

it('tanh saturates without NaN and stays accurate near 0', async () => {
  const e = engine();
  const x = [-1e30, -100, -20, -9.5, -1e-3, -1e-6, 0, 1e-7, 1e-4, 0.3, 9.5, 20, 100, 1e30];
  const y = await tanh(e, e.tensor([x.length], x)).read();
  // relative error near 0 matters: tanh feeds image output, where 1e-6·150 is visible in no pixel, but a
  // cancelling (e^2x − 1)/(e^2x + 1) would be off by ~1e-4 relative at 1e-3.
  expectClose(y, ref.tanh(x), 1e-7, 1e-5);
});

// Planes of 24 and 4 run as vec4 items; the others element by element.
describe.each([[[2, 3, 5, 7]], [[1, 1, 1, 1]], [[3, 70, 1, 1]], [[2, 5, 9, 11]], [[4, 3]], [[1, 2, 13, 1]], [[2, 3, 4, 6]], [[3, 5, 2, 2]]])(
  'per-channel affine, shape %j',
  (shape) => {
    const n = sizeOf(shape);
    const C = shape[1];
    const x = uniform(n, 30 + n);
    const dy = uniform(n, 40 + n);
    const scale = uniform(C, 50 + C, -2, 2);
    const shift = uniform(C, 60 + C);

    it('forward', async () => {
      const e = engine();
      const y = await affine(e, e.tensor(shape, x), e.tensor([C], scale), e.tensor([C], shift)).read();
      expectClose(y, ref.affine(x, shape, scale, shift), 1e-6, 1e-6);
    });

    it('backward w.r.t. x, scale and shift', async () => {
      const e = engine();
      const g = affineBackward(e, e.tensor(shape, x), e.tensor([C], scale), e.tensor(shape, dy));
      const [dx, dscale, dshift] = [await g.dx.read(), await g.dscale.read(), await g.dshift.read()];
      const want = ref.affineBackward(x, shape, scale, dy);
      expectClose(dx, want.dx, 1e-6, 1e-6, 'dx');
      // f32 sums of up to ~200 terms of size ≤ 1: a few 1e-6 of rounding.
      expectClose(dscale, want.dscale, 1e-5, 1e-5, 'dscale');
      expectClose(dshift, want.dshift, 1e-5, 1e-5, 'dshift');
      gradCheck((v) => ref.affine(v, shape, scale, shift), x, dy, dx, { what: 'dx' });
      gradCheck((v) => ref.affine(x, shape, v, shift), scale, dy, dscale, { what: 'dscale' });
      gradCheck((v) => ref.affine(x, shape, scale, v), shift, dy, dshift, { what: 'dshift' });
    });
  },
);

it('validates shapes', () => {
  const e = engine();
  const x = e.zeros([2, 3, 4, 4]);
  expect(() => affine(e, x, e.zeros([4]), e.zeros([3]))).toThrow(/affine: scale must be \[3\].*\[2, 3, 4, 4\]/);
  expect(() => affine(e, e.zeros([5]), e.zeros([5]), e.zeros([5]))).toThrow(/affine: x must be \[N, C/);
  expect(() => tanhBackward(e, x, e.zeros([2, 3, 4, 5]))).toThrow(/tanhBackward: y and dy must have the same shape/);
});
