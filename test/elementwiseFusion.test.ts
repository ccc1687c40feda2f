// The elementwise fused kernels. activationBackwardSum (src/kernels/gradientAdd.ts): (a + b)·(y > 0 ? 1 : slope) against float64, and bit for bit
// against the add and activation-backward kernels it replaces, on sizes with and without a vec4 path.
import { describe, expect, it } from 'vitest';
import { leakyRelu, leakyReluBackward } from '../src/kernels/activation.ts';
import { add } from '../src/kernels/elementwise.ts';
import { activationBackwardSum } from '../src/kernels/gradientAdd.ts';
import { noiseInjectionLeakyRelu } from '../src/kernels/noiseAct.ts';
import { noiseInjection } from '../src/kernels/stylegan.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';

const engine = useEngine();

describe.each([[1], [7], [64], [1001], [4 * 3 * 17 * 5]])('activationBackwardSum, n = %i', (n) => {
  const y = uniform(n, 5 + n);
  y[0] = 0; // the boundary: y = 0 masks like y < 0
  const [a, b] = [uniform(n, 6 + n), uniform(n, 7 + n)];
  it.each([0, 0.2])('slope %f', async (slope) => {
    const e = engine();
    const [ty, ta, tb] = [y, a, b].map((v) => e.tensor([n], v));
    const got = await activationBackwardSum(e, ty, ta, tb, slope).read();
    // One f32 add, one multiply by 1 or slope: within 2 roundings of float64.
    expectClose(got, Array.from(y, (v, i) => (a[i] + b[i]) * (v > 0 ? 1 : slope)), 0, 2 ** -23);
    const sum = add(e, ta, tb);
    expect(Array.from(got)).toEqual(Array.from(await leakyReluBackward(e, ty, sum, slope).read()));
  });
});

describe('activationBackwardSum input validation', () => {
  it('names the mismatch', () => {
    const e = engine();
    expect(() => activationBackwardSum(e, e.tensor([4]), e.tensor([5]), e.tensor([4]), 0)).toThrow(/activationBackwardSum: a \[5\] does not match y \[4\]/);
    expect(() => activationBackwardSum(e, e.tensor([4]), e.tensor([4]), e.tensor([4]), Number.NaN)).toThrow(/slope must be finite/);
  });
});

// noiseInjectionLeakyRelu (src/kernels/noiseAct.ts): the noise injection and leaky ReLU kernels' arithmetic, bit
// for bit, on awkward shapes, per-channel and scalar noise weights.
describe.each([[[1, 3, 5, 7]], [[2, 4, 3, 3]], [[1, 1, 1, 1]]])('noiseInjectionLeakyRelu %j', (shape) => {
  const [N, C, H, W] = shape;
  const x = uniform(N * C * H * W, 21 + C);
  const noise = uniform(N * H * W, 22 + C);
  it.each([[C], [1]])('weight [%i]', async (wSize) => {
    const e = engine();
    const w = uniform(wSize, 23 + wSize);
    const [tx, tw, tn] = [e.tensor(shape, x), e.tensor([wSize], w), e.tensor([N, 1, H, W], noise)];
    const got = await noiseInjectionLeakyRelu(e, tx, tw, tn, 0.2).read();
    const want = Array.from(x, (v, i) => {
      const c = Math.floor(i / (H * W)) % C;
      const pixel = Math.floor(i / (H * W * C)) * H * W + (i % (H * W));
      const s = v + w[wSize === 1 ? 0 : c] * noise[pixel];
      return s > 0 ? s : 0.2 * s;
    });
    expectClose(got, want, 1e-7, 1e-6);
    expect(Array.from(got)).toEqual(Array.from(await leakyRelu(e, noiseInjection(e, tx, tw, tn), 0.2).read()));
    expect(() => noiseInjectionLeakyRelu(e, tx, tw, e.tensor([N, 2, H, W]), 0.2)).toThrow(/noise must be/);
  });
});
