// The elementwise fused kernels. activationBackwardSum (src/kernels/gradientAdd.ts): (a + b)·(y > 0 ? 1 : slope) against float64, and bit for bit
// against the add and activation-backward kernels it replaces, on sizes with and without a vec4 path.
import { describe, expect, it } from 'vitest';
import { Graph, Program, add as addNode, axpy as axpyNode, scale as scaleNode, weightedSum } from '../src/graph/index.ts';
import { leakyRelu, leakyReluBackward } from '../src/kernels/activation.ts';
import { add, axpy, scale } from '../src/kernels/elementwise.ts';
import { activationBackwardSum } from '../src/kernels/gradientAdd.ts';
import { LINEAR_SUM_TERMS, linearSum } from '../src/kernels/linearSum.ts';
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

// linearSum (src/kernels/linearSum.ts): Σ wₖ·xₖ against float64 within its rounding bound, and bit for bit against
// the scale + axpy chain of weightedSum (w₀·x₀, then one fma per term), with term counts that fill one dispatch,
// and that need a second and a third one (accumulating in order).
const U = 2 ** -24;
describe.each([[1], [7], [1001], [4 * 3 * 17 * 5]])('linearSum, n = %i', (n) => {
  it.each([[1], [2], [LINEAR_SUM_TERMS], [LINEAR_SUM_TERMS + 1], [2 * LINEAR_SUM_TERMS + 3]])('%i terms', async (k) => {
    const e = engine();
    const xs = Array.from({ length: k }, (_, j) => uniform(n, 40 + 3 * j + n, -2, 2));
    const weights = Array.from(uniform(k, 90 + k, -3, 3));
    const ts = xs.map((x) => e.tensor([n], x));
    const got = await linearSum(e, ts, weights).read();
    // k roundings (a product, then one fma per further term) of a sum bounded by Σ|wₖ·xₖ|; the weights as the
    // kernel sees them, in f32.
    const w32 = weights.map(Math.fround);
    const want = Array.from({ length: n }, (_, i) => xs.reduce((s, x, j) => s + w32[j] * x[i], 0));
    const bound = Array.from({ length: n }, (_, i) => (k + 1) * U * xs.reduce((s, x, j) => s + Math.abs(w32[j] * x[i]), 0));
    got.forEach((v, i) => expect(Math.abs(v - want[i]), `element ${i}`).toBeLessThanOrEqual(bound[i]));
    let chain = scale(e, ts[0], weights[0]);
    for (let j = 1; j < k; j++) {
      const next = axpy(e, weights[j], ts[j], chain);
      chain.release();
      chain = next;
    }
    expect(Array.from(got)).toEqual(Array.from(await chain.read()));
  });
});

describe('linearSum input validation', () => {
  it('names the problem', () => {
    const e = engine();
    const [a, b] = [e.tensor([4]), e.tensor([5])];
    expect(() => linearSum(e, [a, b], [1, 1])).toThrow(/linearSum: term 1 \[5\] does not match term 0 \[4\]/);
    expect(() => linearSum(e, [a], [1, 2])).toThrow(/linearSum: 1 terms and 2 weights/);
    expect(() => linearSum(e, [a, a], [1, Number.POSITIVE_INFINITY])).toThrow(/weight 1 must be finite/);
  });
});

// The linearSum rewrite on graphs: every add / scale / axpy tree of two or more steps becomes one step. A
// left-nested chain (weightedSum, a sum of adds) keeps the unfused bits; a tree that scales an inner sum stays
// within the stated bound of it. The rewrite is anchored on scale and axpy: a program of adds alone (the fast-style
// network's residual adds) is left as it is, and its page without the rewrite.
type NodeT = ReturnType<Graph['input']>;
describe('linearSum rewrite', () => {
  const shape = [2, 3, 5];
  const size = 30;
  /** A program computing build(xs) and a lone scale (which anchors the rewrite, as a loss weight does in Gatys). */
  function run(build: (xs: NodeT[]) => NodeT, inputs: number, linearSum: boolean) {
    const e = engine();
    const g = new Graph();
    const xs = Array.from({ length: inputs }, (_, j) => g.input(`x${j}`, shape));
    const p = new Program([build(xs), scaleNode(xs[0], 2)], { fusion: { linearSum } });
    const values = Object.fromEntries(xs.map((_, j) => [`x${j}`, e.tensor(shape, uniform(size, 60 + j, -2, 2))]));
    const [out] = p.run(e, values);
    return { p, out, values };
  }
  it('weightedSum of 9 terms and a chain of adds: one step each, the same bits', async () => {
    const cases: [(xs: NodeT[]) => NodeT, number][] = [
      [(xs) => weightedSum(xs, [0.3, -1.7, 2, 0.1, 5, -0.25, 1 / 3, 7, -2.5]), 9],
      [(xs) => addNode(addNode(addNode(xs[0], xs[1]), xs[2]), xs[3]), 4],
      [(xs) => addNode(xs[0], addNode(xs[1], addNode(xs[2], xs[3]))), 4],
    ];
    for (const [build, inputs] of cases) {
      const fused = run(build, inputs, true);
      const unfused = run(build, inputs, false);
      expect(fused.p.steps.map((s) => s.op)).toEqual(['linearSum', 'scale']);
      expect(Array.from(await fused.out.read())).toEqual(Array.from(await unfused.out.read()));
    }
  });
  it('a scaled inner sum and an axpy of two sums: one step, within (steps + terms)·2⁻²⁴·Σ|wₖ·xₖ|', async () => {
    const weights = [2.5, 2.5, -0.75 * 1.5, -0.75 * 1.5, 1];
    const build = (xs: NodeT[]) => axpyNode(-0.75, scaleNode(addNode(xs[2], xs[3]), 1.5), addNode(scaleNode(addNode(xs[0], xs[1]), 2.5), xs[4]));
    const fused = run(build, 5, true);
    const unfused = run(build, 5, false);
    expect(fused.p.steps.map((s) => s.op)).toEqual(['linearSum', 'scale']);
    expect(unfused.p.steps).toHaveLength(7);
    const [got, want] = [await fused.out.read(), await unfused.out.read()];
    const xs = await Promise.all([0, 1, 2, 3, 4].map((j) => fused.values[`x${j}`].read()));
    for (let i = 0; i < size; i++) {
      const bound = (6 + 5) * U * weights.reduce((s, w, j) => s + Math.abs(w * xs[j][i]), 0);
      expect(Math.abs(got[i] - want[i]), `element ${i}`).toBeLessThanOrEqual(bound);
    }
  });
  it('an inner value read twice, or a program output, stays a value of its own; adds alone are left', () => {
    const g = new Graph();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => g.input(n, shape));
    const shared = addNode(a, b);
    const p = new Program([addNode(shared, c), scaleNode(shared, 2)], { fusion: { linearSum: true } });
    expect(p.steps.map((s) => s.op)).toEqual(['add', 'add', 'scale']);
    const s = addNode(a, b);
    const q = new Program([scaleNode(addNode(s, c), 3), s]);
    expect(q.steps.map((st) => st.op)).toEqual(['add', 'linearSum']);
    expect(q.steps[1].attrs.weights).toEqual([3, 3]);
    const r = new Program([addNode(scaleNode(a, 2), c)]);
    expect(r.steps.map((st) => st.op)).toEqual(['linearSum']);
    expect(r.steps[0].attrs.weights).toEqual([2, 1]);
    expect(new Program([addNode(addNode(a, b), c)]).steps.map((st) => st.op)).toEqual(['add', 'add']);
  });
});
