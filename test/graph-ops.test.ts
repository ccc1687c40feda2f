// Every graph op the feed-forward models use, through the graph: its shape rule (the op table's, applied by
// Graph.add), its forward against a float64 CPU reference, and its gradient rule (reached through grad())
// against finite differences of that reference, on small awkward shapes. The loss is Σ (y − t)² for a fixed
// random target t, so the gradients are O(1).
import { describe, expect, it } from 'vitest';
import { tfConvTranspose2dSame, torchConvTranspose2d } from '../src/kernels/geometry.ts';
import {
  Graph, type Node, Program, adain, affine, channelMoment, conv2d, convTranspose2d, grad, instanceNorm, leakyRelu, maxPool2d, mse, relu, reshape, resizeBilinear, scalarAffine, scale,
  tanh, upsampleNearest2x, weightedSum,
} from '../src/graph/index.ts';
import type { Shape } from '../src/runtime/tensor.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';
import * as refAct from './reference/activation.ts';
import * as refConv from './reference/conv.ts';
import * as refGen from './reference/generator.ts';
import * as refNorm from './reference/norm.ts';
import * as refPool from './reference/pool.ts';

const engine = useEngine();
const size = (s: Shape) => s.reduce((a, b) => a * b, 1);

/** Values in ±[0.1, 1): no input sits within a finite-difference step of a ReLU kink or pooling tie. */
function awayFromZero(n: number, seed: number): Float32Array {
  const v = uniform(n, seed, -0.9, 0.9);
  return v.map((x) => Math.sign(x || 1) * (0.1 + Math.abs(x)));
}

interface Case {
  /** Input shapes (all graph inputs). */
  shapes: Shape[];
  build: (x: Node[]) => Node;
  reference: (x: Float64Array[]) => ArrayLike<number>;
  /** Which inputs get a checked gradient (default all). */
  wrt?: number[];
  values?: (n: number, seed: number) => Float32Array;
  tol?: { atol?: number; rtol?: number; h?: number };
}

async function check(c: Case): Promise<void> {
  const e = engine();
  const g = new Graph();
  const xs = c.shapes.map((s, i) => g.input(`x${i}`, s));
  const y = c.build(xs);
  const values = c.shapes.map((s, i) => (c.values ?? awayFromZero)(size(s), 11 + i));
  const target = uniform(size(y.shape), 99, -1, 1);
  const loss = scale(mse(y, g.constant('target', e.tensor(y.shape, target))), size(y.shape));
  const wrt = c.wrt ?? c.shapes.map((_, i) => i);
  const grads = grad(loss, wrt.map((k) => xs[k]));
  const inputs = Object.fromEntries(values.map((v, i) => [`x${i}`, e.tensor(c.shapes[i], v)]));
  const [Y, ...G] = new Program([y, ...grads]).run(e, inputs);

  const f64 = values.map((v) => Float64Array.from(v));
  const want = c.reference(f64);
  const got = await Y.read();
  expect(Y.shape).toEqual(y.shape);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `forward[${i}]`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(want[i]));
  const refLoss = (all: Float64Array[]) => {
    const out = c.reference(all);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += (out[i] - target[i]) ** 2;
    return s;
  };
  for (const [j, k] of wrt.entries()) {
    const at = (v: Float64Array) => [refLoss(f64.map((u, i) => (i === k ? v : u)))];
    gradCheck(at, values[k], [1], await G[j].read(), { h: 1e-4, atol: 2e-4, rtol: 2e-3, ...c.tol, what: `d loss / d x${k}` });
  }
  for (const t of [Y, ...G, ...Object.values(inputs)]) t.release();
}

const elementwise = (f: (v: number) => number) => ([x]: Float64Array[]) => x.map(f);

describe('graph ops: forward and gradient rule against float64 finite differences', () => {
  it('leakyRelu (slope ≥ 0 differentiated from its output, negative slope from its input)', async () => {
    for (const slope of [0.2, -0.3]) {
      await check({ shapes: [[2, 3, 5, 7]], build: ([x]) => leakyRelu(x, slope), reference: elementwise((v) => (v > 0 ? v : slope * v)) });
    }
  });

  it('tanh', () => check({ shapes: [[1, 2, 3, 5]], build: ([x]) => tanh(x), reference: elementwise(Math.tanh) }));

  it('reshape (a view)', () => check({ shapes: [[2, 3, 4]], build: ([x]) => tanh(reshape(scale(x, 2), [6, 4])), reference: elementwise((v) => Math.tanh(2 * v)) }));

  it('scalarAffine', () => check({ shapes: [[3, 7]], build: ([x]) => scalarAffine(x, 1.7, -0.3), reference: elementwise((v) => 1.7 * v - 0.3) }));

  it('weightedSum (scale, then one axpy per term)', () =>
    check({
      shapes: [[1, 3, 5, 5], [1, 3, 5, 5], [1, 3, 5, 5]],
      build: (x) => weightedSum(x, [0.5, -1.25, 2]),
      reference: ([a, b, c]) => a.map((v, i) => 0.5 * v - 1.25 * b[i] + 2 * c[i]),
    }));

  it('affine (per-channel scale and shift)', () =>
    check({
      shapes: [[2, 3, 5, 3], [3], [3]],
      build: ([x, s, b]) => affine(x, s, b),
      reference: ([x, s, b]) => refAct.affine(x, [2, 3, 5, 3], s, b),
    }));

  it('instanceNorm with gamma and beta (biased), and plain (unbiased)', async () => {
    const shape: Shape = [2, 3, 5, 7];
    const moments = { unbiased: false, eps: 1e-5 };
    await check({
      shapes: [shape, [3], [3]],
      build: ([x, g, b]) => instanceNorm(x, { gamma: g, beta: b }),
      reference: ([x, g, b]) => refNorm.instanceNorm(x, 2, 3, 35, moments, g, b),
      tol: { atol: 5e-4, rtol: 3e-3 },
    });
    await check({
      shapes: [[1, 4, 3, 3]],
      build: ([x]) => instanceNorm(x, { unbiased: true, eps: 1e-3 }),
      reference: ([x]) => refNorm.instanceNorm(x, 1, 4, 9, { unbiased: true, eps: 1e-3 }, undefined, undefined),
      tol: { atol: 5e-4, rtol: 3e-3 },
    });
  });

  it('instanceNorm → relu', () =>
    check({
      shapes: [[1, 3, 5, 6], [3], [3]],
      build: ([x, g, b]) => relu(instanceNorm(x, { gamma: g, beta: b })),
      reference: ([x, g, b]) => refNorm.instanceNorm(x, 1, 3, 30, { unbiased: false, eps: 1e-5 }, g, b).map((v) => Math.max(v, 0)),
      tol: { atol: 5e-4, rtol: 3e-3 },
    }));

  it('adain (gradient with respect to the content; the style has no rule and says so)', async () => {
    const moments = { unbiased: true, eps: 1e-5 };
    await check({
      shapes: [[1, 3, 5, 6], [1, 3, 4, 7]],
      build: ([c, s]) => adain(c, s),
      reference: ([c, s]) => refNorm.adain(c, s, 1, 3, 30, 28, moments),
      wrt: [0],
      tol: { atol: 5e-4, rtol: 3e-3 },
    });
    const g = new Graph();
    const y = adain(g.input('c', [1, 2, 3, 3]), g.input('s', [1, 2, 3, 3]));
    expect(() => grad(scale(mse(y, y), 1), [y.inputs[1]])).toThrow('grad: adain has no gradient with respect to its style input');
  });

  it('channelMoment: AdaIN statistics as [N, C]', async () => {
    const e = engine();
    const g = new Graph();
    const x = g.input('x', [2, 3, 4, 5]);
    const v = uniform(120, 5);
    const p = new Program([channelMoment(x, 'mean'), channelMoment(x, 'std')]);
    const [m, s] = p.run(e, { x: e.tensor([2, 3, 4, 5], v) });
    const want = refNorm.meanStd(v, 2, 3, 20, { unbiased: true, eps: 1e-5 });
    expect(m.shape).toEqual([2, 3]);
    (await m.read()).forEach((got, i) => expect(got).toBeCloseTo(want.mean[i], 5));
    (await s.read()).forEach((got, i) => expect(got).toBeCloseTo(want.std[i], 5));
  });

  it('conv2d (reflect padding, stride 2) → leaky ReLU, fused by convAct, differentiated in x, w and bias', () => {
    const xs = [1, 3, 7, 6] as const;
    const ws = [4, 3, 3, 3] as const;
    const pad = { top: 1, bottom: 2, left: 1, right: 1 };
    return check({
      shapes: [xs, ws, [4]],
      build: ([x, w, b]) => leakyRelu(conv2d(x, w, b, { stride: 2, padding: pad, padMode: 'reflect' }), 0.1),
      reference: ([x, w, b]) => refConv.conv2d(x, xs, w, ws, { stride: 2, pad, mode: 'reflect' }, b, { leakyRelu: 0.1 }),
      tol: { atol: 5e-4, rtol: 3e-3 },
    });
  });

  it('convTranspose2d: PyTorch geometry with output padding, and TensorFlow SAME', async () => {
    const xs = [1, 3, 4, 5] as const;
    const ws = [3, 2, 3, 3] as const;
    for (const geometry of [torchConvTranspose2d(4, 5, 3, 3, 2, 1, 1), tfConvTranspose2dSame(4, 5, 3, 3, 2)]) {
      await check({
        shapes: [xs, ws, [2]],
        build: ([x, w, b]) => convTranspose2d(x, w, b, geometry),
        reference: ([x, w, b]) => refConv.convTranspose2d(x, xs, w, ws, { stride: 2, top: geometry.padding.top, left: geometry.padding.left, outH: geometry.outH, outW: geometry.outW }, b),
      });
    }
  });

  it('upsampleNearest2x', () => check({ shapes: [[1, 2, 3, 5]], build: ([x]) => upsampleNearest2x(x), reference: ([x]) => refGen.upsampleNearest2x(x, [1, 2, 3, 5]) }));

  it('resizeBilinear, down in one axis and up in the other', () =>
    check({ shapes: [[1, 2, 5, 7]], build: ([x]) => resizeBilinear(x, 3, 11), reference: ([x]) => refGen.resizeBilinear(x, [1, 2, 5, 7], 3, 11) }));

  it('maxPool2d with ceil mode', () =>
    check({
      shapes: [[1, 2, 7, 5]],
      build: ([x]) => maxPool2d(x, 2, 2, { ceilMode: true }),
      reference: ([x]) => refPool.maxPool2d(x, [1, 2, 7, 5], 2, 2, true),
      values: (n, seed) => Float32Array.from(uniform(n, seed), (v, i) => v + i * 1e-3), // no ties
    }));

  it('shape rules reject what does not fit, naming the op and the inputs', () => {
    const g = new Graph();
    const x = g.input('x', [1, 3, 4, 5]);
    expect(() => convTranspose2d(x, g.input('w', [2, 3, 3, 3]), undefined, torchConvTranspose2d(4, 5, 3, 3, 2, 1, 1))).toThrow(
      'convTranspose2d: input [1, 3, 4, 5] does not fit weight [2, 3, 3, 3] ([Cin, Cout, KH, KW]) (inputs [1, 3, 4, 5], [2, 3, 3, 3])',
    );
    expect(() => convTranspose2d(x, g.input('w2', [3, 2, 3, 3]), undefined, torchConvTranspose2d(4, 4, 3, 3, 2, 1, 1))).toThrow(/convTranspose2d: output 8×8 .* does not invert a conv to 4×5/);
    expect(() => instanceNorm(x, { gamma: g.input('g', [4]), beta: g.input('b', [4]) })).toThrow('instanceNorm: per-channel parameter [4] does not fit 3 channels');
    expect(() => adain(x, g.input('s', [1, 2, 4, 5]))).toThrow('adain: style [1, 2, 4, 5] must have the batch and channels of content [1, 3, 4, 5]');
    expect(() => instanceNorm(g.input('one', [1, 3, 1, 1]), { unbiased: true })).toThrow('instanceNorm: unbiased variance needs H·W ≥ 2');
    expect(() => resizeBilinear(x, 0, 3)).toThrow('resizeBilinear: cannot resize to 0×3');
    expect(() => weightedSum([x], [1, 2])).toThrow('weightedSum: 1 terms and 2 weights');
  });
});
