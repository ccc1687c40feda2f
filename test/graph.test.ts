// The graph end to end on a tiny VGG-like net: loss and image gradient (reverse-mode autodiff on our
// kernels) against a float64 CPU forward and its finite differences; fusion on and off; memory planning.
import { describe, expect, it } from 'vitest';
import { FUSION_NAMES, Graph, Program, add, conv2d, gram, grad, maxPool2d, mse, relu, scale, totalVariationLoss } from '../src/graph/index.ts';
import type { Engine } from '../src/runtime/engine.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';
import * as refConv from './reference/conv.ts';
import * as refGram from './reference/gram.ts';
import * as refLoss from './reference/loss.ts';
import * as refPool from './reference/pool.ts';

const engine = useEngine();

const X: [number, number, number, number] = [1, 3, 9, 9];
const W1: [number, number, number, number] = [4, 3, 3, 3];
const W2: [number, number, number, number] = [5, 4, 3, 3];
const w1 = uniform(4 * 3 * 9, 1, -0.5, 0.5);
const b1 = uniform(4, 2, -0.1, 0.1);
const w2 = uniform(5 * 4 * 9, 3, -0.5, 0.5);
const image = uniform(3 * 81, 4, 0, 1);
const contentTarget = uniform(5 * 16, 5, 0, 0.5);
const gramTarget = uniform(25, 6, 0, 0.2);
const WEIGHTS = { content: 5, style: 100, tv: 1e-3 };
const zeros = { top: 1, bottom: 1, left: 1, right: 1 };

/** float64 forward of the same network: conv(zeros)+bias → relu → maxpool 2 → conv(reflect) → relu. */
function referenceLoss(x: Float64Array): number {
  const a = refConv.conv2d(x, X, w1, W1, { stride: 1, pad: zeros, mode: 'zeros' }, b1, 'relu');
  const p = refPool.maxPool2d(a, [1, 4, 9, 9], 2, 2);
  const f = refConv.conv2d(p, [1, 4, 4, 4], w2, W2, { stride: 1, pad: zeros, mode: 'reflect' }, undefined, 'relu');
  const G = refGram.gram(f, 1, 5, 16, 5 * 16);
  return WEIGHTS.content * refLoss.mse(f, contentTarget) + WEIGHTS.style * refLoss.mse(G, gramTarget) + WEIGHTS.tv * refLoss.tv(x, 3, 9, 9);
}

function build(e: Engine) {
  const g = new Graph();
  const x = g.input('image', X);
  const c1 = conv2d(x, g.constant('w1', e.tensor(W1, w1)), g.constant('b1', e.tensor([4], b1)), { padding: 1 });
  const p1 = maxPool2d(relu(c1), 2);
  const f = relu(conv2d(p1, g.constant('w2', e.tensor(W2, w2)), undefined, { padding: 1, padMode: 'reflect' }));
  const content = mse(f, g.constant('content', e.tensor(f.shape, contentTarget)));
  const style = mse(gram(f, 5 * 16), g.constant('gram', e.tensor([1, 5, 5], gramTarget)));
  const loss = add(add(scale(content, WEIGHTS.content), scale(style, WEIGHTS.style)), scale(totalVariationLoss(x), WEIGHTS.tv));
  const [dx] = grad(loss, [x]);
  return { loss, dx };
}

describe('graph autodiff', () => {
  it('gives the loss and the image gradient of a conv/relu/pool/gram/mse/tv network', async () => {
    const e = engine();
    const { loss, dx } = build(e);
    const program = new Program([loss, dx]);
    const [L, G] = program.run(e, { image: e.tensor(X, image) });
    const [lossValue] = await L.read();
    const want = referenceLoss(Float64Array.from(image));
    expect(Math.abs(lossValue - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-6);
    // f32 kernels against exact finite differences of the float64 loss.
    gradCheck((v) => [referenceLoss(v)], image, [1], await G.read(), { h: 1e-4, atol: 2e-4, rtol: 2e-3, what: 'd loss / d image' });
  });

  it('fusion merges conv + relu, computes the same numbers and dispatches fewer kernels', async () => {
    const e = engine();
    const { loss, dx } = build(e);
    // The epilogue rewrites only (this graph's loss also has a Gram + MSE chain, weighted losses and their sum, and
    // paddedOutput would drop padding passes: test/fusion.test.ts counts those).
    const epilogues = Object.fromEntries(FUSION_NAMES.map((n) => [n, n === 'convAct' || n === 'normAct']));
    const fused = new Program([loss, dx], { fusion: epilogues });
    const unfused = new Program([loss, dx], { fusion: false });
    const count = (p: Program, op: string) => p.steps.filter((s) => s.op === op).length;
    expect(count(unfused, 'relu')).toBe(2);
    expect(count(fused, 'relu')).toBe(0);
    expect(fused.steps.length).toBe(unfused.steps.length - 2);
    expect(fused.steps.filter((s) => s.op === 'conv2d').every((s) => s.attrs.activation === 'relu')).toBe(true);

    const x = e.tensor(X, image);
    fused.run(e, { image: x }).forEach((t) => t.release()); // packs the frozen weights (cached on them)
    const a = fused.run(e, { image: x });
    const fusedDispatches = fused.lastRun.dispatches;
    const b = unfused.run(e, { image: x });
    expect(fusedDispatches).toBe(unfused.lastRun.dispatches - 2);
    expect(Array.from(await a[0].read())).toEqual(Array.from(await b[0].read()));
    expect(Array.from(await a[1].read())).toEqual(Array.from(await b[1].read()));
  });

  it('releases every intermediate after its last use', async () => {
    const e = engine();
    const { loss, dx } = build(e);
    const program = new Program([loss, dx]);
    const x = e.tensor(X, image);
    // The first run also packs the frozen conv weights for the kernels (cached on the weights, kept while
    // they live); from then on a run leaves nothing behind but its outputs.
    program.run(e, { image: x }).forEach((t) => t.release());
    const live = e.pool.stats.liveBytes;
    const [L, G] = program.run(e, { image: x });
    // Only the two outputs stay live: 256-byte classes for [1] and for the 3×9×9 gradient (972 bytes → 1024).
    expect(e.pool.stats.liveBytes - live).toBe(256 + 1024);
    expect(program.lastRun.peakBytes).toBeGreaterThan(e.pool.stats.liveBytes - live);
    L.release();
    G.release();
  });

  it('computes no gradient for frozen weights', () => {
    const e = engine();
    const { loss, dx } = build(e);
    const ops = new Program([loss, dx]).steps.map((s) => s.op);
    expect(ops).not.toContain('conv2dBackwardWeight');
    expect(ops).not.toContain('conv2dBackwardBias');
    expect(ops.filter((o) => o === 'conv2dBackwardInput')).toHaveLength(2);
  });

  it('names what is wrong with a bad graph', () => {
    const e = engine();
    const g = new Graph();
    const x = g.input('image', [1, 3, 8, 8]);
    expect(() => conv2d(x, g.constant('w', e.tensor([4, 2, 3, 3], new Float32Array(72))), undefined)).toThrow(/conv2d: input \[1, 3, 8, 8\] does not fit weight \[4, 2, 3, 3\]/);
    // The op table's shape rule is the one place shapes are computed; its errors name the op and the inputs.
    expect(() => add(x, g.input('other', [1, 3, 8, 9]))).toThrow('add: shapes differ, [1, 3, 8, 8] vs [1, 3, 8, 9] (inputs [1, 3, 8, 8], [1, 3, 8, 9])');
    expect(() => maxPool2d(g.input('small', [1, 3, 1, 5]), 2)).toThrow('maxPool2d: window 2 does not fit [1, 3, 1, 5] (inputs [1, 3, 1, 5])');
    expect(relu(x).shape).toEqual([1, 3, 8, 8]);
    const p = new Program([relu(x)]);
    expect(() => p.run(e, {})).toThrow(/program input 'image' not given/);
    expect(() => p.run(e, { image: e.tensor([1, 3, 4, 4], new Float32Array(48)) })).toThrow(/expected shape \[1, 3, 8, 8\], got \[1, 3, 4, 4\]/);
  });
});
