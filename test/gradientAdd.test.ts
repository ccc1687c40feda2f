// activationBackwardSum (src/kernels/gradientAdd.ts): (a + b)·(y > 0 ? 1 : slope) against float64, and bit for bit
// against the add and activation-backward kernels it replaces, on sizes with and without a vec4 path.
import { describe, expect, it } from 'vitest';
import { leakyReluBackward } from '../src/kernels/activation.ts';
import { add } from '../src/kernels/elementwise.ts';
import { activationBackwardSum } from '../src/kernels/gradientAdd.ts';
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
