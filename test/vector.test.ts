import { describe, expect, it } from 'vitest';
import { add, axpy, axpyInPlace, fill, scale } from '../src/kernels/elementwise.ts';
import { dot, sum, sumOfSquares } from '../src/kernels/reduce.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';
import * as ref from './reference/vector.ts';

const SIZES = [1, 63, 64, 65, 1_000_003];
const engine = useEngine();

describe.each(SIZES)('elementwise, n = %i', (n) => {
  const a = uniform(n, 1 + n);
  const b = uniform(n, 2 + n);

  it('add', async () => {
    const e = engine();
    const out = add(e, e.tensor([n], a), e.tensor([n], b));
    expectClose(await out.read(), ref.add(a, b), 1e-6, 1e-6);
  });

  it('scale', async () => {
    const e = engine();
    const out = scale(e, e.tensor([n], a), -2.5);
    expectClose(await out.read(), ref.scale(a, -2.5), 1e-6, 1e-6);
  });

  it('fill', async () => {
    const e = engine();
    expectClose(await fill(e, [n], -0.625).read(), new Float64Array(n).fill(-0.625), 0, 0);
  });

  it('axpy and axpyInPlace', async () => {
    const e = engine();
    const x = e.tensor([n], a);
    const y = e.tensor([n], b);
    const out = axpy(e, 0.375, x, y);
    expectClose(await out.read(), ref.axpy(0.375, a, b), 1e-6, 1e-6);
    axpyInPlace(e, -3, x, y);
    expectClose(await y.read(), ref.axpy(-3, a, b), 1e-6, 1e-6);
  });
});

describe.each(SIZES)('reductions, n = %i', (n) => {
  const a = uniform(n, 3 + n);
  const b = uniform(n, 4 + n);

  // f32 tree sums: the error is bounded by about log2(n)·ε·Σ|x| (pairwise summation), checked here against
  // that bound, and reported so accuracy on 10⁶ elements is visible in the test log.
  it('sum', async () => {
    const e = engine();
    const [got] = await sum(e, e.tensor([n], a)).read();
    const want = ref.sum(a);
    const bound = 8 * Math.log2(n + 1) * 2 ** -24 * ref.sumAbs(a) + 1e-30;
    if (n > 1e6) console.log(`sum over ${n}: f32 ${got}, f64 ${want}, |err| ${Math.abs(got - want).toExponential(2)}, relative to Σ|x| ${(Math.abs(got - want) / ref.sumAbs(a)).toExponential(2)}`);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(bound);
  });

  it('dot and sumOfSquares', async () => {
    const e = engine();
    const x = e.tensor([n], a);
    const y = e.tensor([n], b);
    const [got] = await dot(e, x, y).read();
    const want = ref.dot(a, b);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(8 * Math.log2(n + 1) * 2 ** -24 * ref.sumAbs(a, b) + 1e-30);
    const [sq] = await sumOfSquares(e, x).read();
    const wantSq = ref.dot(a, a);
    expect(Math.abs(sq - wantSq)).toBeLessThanOrEqual(8 * Math.log2(n + 1) * 2 ** -24 * wantSq);
    if (n > 1e6) console.log(`dot over ${n}: f32 ${got}, f64 ${want}, |err| ${Math.abs(got - want).toExponential(2)}`);
  });
});
