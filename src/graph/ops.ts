// Graph ops: a constructor per op and its definition in the op table (its shape rule, the one place an
// output shape is computed, and how it runs on our kernels). Graph.add applies the shape rule, so a graph
// is shape-checked as it is built. Backward ops are ops like any other; gradients.ts says which backward
// ops each forward op's gradient is made of.
import * as act from '../kernels/activation.ts';
import * as conv from '../kernels/conv2d.ts';
import * as ew from '../kernels/elementwise.ts';
import { gramMatrix, gramMatrixBackward } from '../kernels/gram.ts';
import { mseLoss, mseLossBackward, totalVariation, totalVariationBackward } from '../kernels/loss.ts';
import * as pool from '../kernels/pool.ts';
import { type Shape, shapeString } from '../runtime/tensor.ts';
import type { Graph, Node } from './graph.ts';
import { defineOp } from './registry.ts';

const same = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);
/** Shape rule of ops whose inputs all have one shape, which is also the output's. */
function sameShapes(s: readonly Shape[]): Shape {
  for (const t of s.slice(1)) if (!same(s[0], t)) throw new Error(`shapes differ, ${s.map(shapeString).join(' vs ')}`);
  return s[0];
}
const SCALAR: Shape = [1];

// ---- elementwise

export function fill(shape: Shape, value: number, g: Graph): Node {
  return g.add('fill', [], { shape, value });
}
defineOp<{ shape: Shape; value: number }>('fill', { shape: (_, a) => a.shape, run: (e, _, a) => ew.fill(e, a.shape, a.value) });

export function add(a: Node, b: Node): Node {
  return a.graph.add('add', [a, b]);
}
defineOp('add', { shape: sameShapes, run: (e, [a, b]) => ew.add(e, a, b) });

export function scale(x: Node, factor: number): Node {
  return x.graph.add('scale', [x], { factor });
}
defineOp<{ factor: number }>('scale', { shape: (s) => s[0], run: (e, [x], a) => ew.scale(e, x, a.factor) });

// ---- activations

export function relu(x: Node): Node {
  return x.graph.add('relu', [x]);
}
defineOp('relu', { shape: (s) => s[0], run: (e, [x]) => act.relu(e, x) });

/** dx = dy·[y > 0]; y may be relu's input or output (same sign). */
export function reluBackward(y: Node, dy: Node): Node {
  return y.graph.add('reluBackward', [y, dy]);
}
defineOp('reluBackward', { shape: sameShapes, run: (e, [y, dy]) => act.reluBackward(e, y, dy) });

// ---- convolution (weights [Cout, Cin, KH, KW]; bias optional)

export interface Conv2dAttrs extends Record<string, unknown> {
  stride: number;
  padding: conv.Padding;
  padMode: conv.PadMode;
  /** Set by the fusion pass only. */
  activation?: 'relu' | 'leakyRelu';
  slope?: number;
}

function convOutShape(x: Shape, w: Shape, a: Conv2dAttrs): Shape {
  const [N, Cin, H, W] = x;
  const [Cout, wCin, KH, KW] = w;
  if (x.length !== 4 || w.length !== 4 || Cin !== wCin) throw new Error(`input ${shapeString(x)} does not fit weight ${shapeString(w)}`);
  const p = a.padding;
  return [N, Cout, Math.floor((H + p.top + p.bottom - KH) / a.stride) + 1, Math.floor((W + p.left + p.right - KW) / a.stride) + 1];
}

export function conv2d(x: Node, w: Node, bias: Node | undefined, opts: { stride?: number; padding?: number | conv.Padding; padMode?: conv.PadMode } = {}): Node {
  const p = opts.padding ?? 0;
  const attrs: Conv2dAttrs = {
    stride: opts.stride ?? 1,
    padding: typeof p === 'number' ? { top: p, bottom: p, left: p, right: p } : p,
    padMode: opts.padMode ?? 'zeros',
  };
  return x.graph.add('conv2d', bias ? [x, w, bias] : [x, w], attrs);
}
defineOp<Conv2dAttrs>('conv2d', {
  shape: (s, a) => convOutShape(s[0], s[1], a),
  run: (e, [x, w, bias], a) =>
    conv.conv2d(e, x, w, {
      bias,
      stride: a.stride,
      padding: a.padding,
      padMode: a.padMode,
      activation: a.activation === 'relu' ? 'relu' : a.activation === 'leakyRelu' ? { leakyRelu: a.slope! } : 'none',
    }),
});

export function conv2dBackwardInput(dy: Node, w: Node, x: Node, attrs: Conv2dAttrs): Node {
  return dy.graph.add('conv2dBackwardInput', [dy, w], { ...attrs, inputShape: x.shape });
}
defineOp<Conv2dAttrs & { inputShape: Shape }>('conv2dBackwardInput', {
  shape: (_, a) => a.inputShape,
  run: (e, [dy, w], a) => conv.conv2dBackwardInput(e, dy, w, a.inputShape, { stride: a.stride, padding: a.padding, padMode: a.padMode }),
});

export function conv2dBackwardWeight(x: Node, dy: Node, w: Node, attrs: Conv2dAttrs): Node {
  return x.graph.add('conv2dBackwardWeight', [x, dy], { ...attrs, weightShape: w.shape });
}
defineOp<Conv2dAttrs & { weightShape: Shape }>('conv2dBackwardWeight', {
  shape: (_, a) => a.weightShape,
  run: (e, [x, dy], a) => conv.conv2dBackwardWeight(e, x, dy, a.weightShape, { stride: a.stride, padding: a.padding, padMode: a.padMode }),
});

export function conv2dBackwardBias(dy: Node): Node {
  return dy.graph.add('conv2dBackwardBias', [dy]);
}
defineOp('conv2dBackwardBias', { shape: (s) => [s[0][1]], run: (e, [dy]) => conv.conv2dBackwardBias(e, dy) });

// ---- pooling

export interface PoolAttrs extends Record<string, unknown> {
  kernel: number;
  stride: number;
}
function poolShape(x: Shape, a: PoolAttrs): Shape {
  const [N, C, H, W] = x;
  if (x.length !== 4 || H < a.kernel || W < a.kernel) throw new Error(`window ${a.kernel} does not fit ${shapeString(x)}`);
  return [N, C, Math.floor((H - a.kernel) / a.stride) + 1, Math.floor((W - a.kernel) / a.stride) + 1];
}

export function maxPool2d(x: Node, kernel = 2, stride = kernel): Node {
  const attrs: PoolAttrs = { kernel, stride };
  return x.graph.add('maxPool2d', [x], attrs);
}
defineOp<PoolAttrs>('maxPool2d', { shape: (s, a) => poolShape(s[0], a), run: (e, [x], a) => pool.maxPool2d(e, x, a) });

export function avgPool2d(x: Node, kernel = 2, stride = kernel): Node {
  const attrs: PoolAttrs = { kernel, stride };
  return x.graph.add('avgPool2d', [x], attrs);
}
defineOp<PoolAttrs>('avgPool2d', { shape: (s, a) => poolShape(s[0], a), run: (e, [x], a) => pool.avgPool2d(e, x, a) });

export function maxPool2dBackward(x: Node, dy: Node, attrs: PoolAttrs): Node {
  return x.graph.add('maxPool2dBackward', [x, dy], attrs);
}
defineOp<PoolAttrs>('maxPool2dBackward', { shape: (s) => s[0], run: (e, [x, dy], a) => pool.maxPool2dBackward(e, x, dy, a) });

export function avgPool2dBackward(dy: Node, x: Node, attrs: PoolAttrs): Node {
  return dy.graph.add('avgPool2dBackward', [dy], { ...attrs, inputShape: x.shape });
}
defineOp<PoolAttrs & { inputShape: Shape }>('avgPool2dBackward', {
  shape: (_, a) => a.inputShape,
  run: (e, [dy], a) => pool.avgPool2dBackward(e, dy, a.inputShape, a),
});

// ---- Gram matrix and losses

/** G = F·Fᵀ / norm, F [N, C, H, W] → [N, C, C]. */
export function gram(F: Node, norm: number): Node {
  return F.graph.add('gram', [F], { norm });
}
defineOp<{ norm: number }>('gram', { shape: (s) => [s[0][0], s[0][1], s[0][1]], run: (e, [F], a) => gramMatrix(e, F, a.norm) });

export function gramBackward(F: Node, dG: Node, norm: number): Node {
  return F.graph.add('gramBackward', [F, dG], { norm });
}
defineOp<{ norm: number }>('gramBackward', { shape: (s) => s[0], run: (e, [F, dG], a) => gramMatrixBackward(e, F, dG, a.norm) });

/** mean((a − b)²) as [1]. */
export function mse(a: Node, b: Node): Node {
  return a.graph.add('mse', [a, b]);
}
defineOp('mse', { shape: (s) => (sameShapes(s), SCALAR), run: (e, [a, b]) => mseLoss(e, a, b) });

export function mseBackward(a: Node, b: Node, dL: Node): Node {
  return a.graph.add('mseBackward', [a, b, dL]);
}
defineOp('mseBackward', { shape: (s) => s[0], run: (e, [a, b, dL]) => mseLossBackward(e, a, b, dL) });

/** Σ squared differences of vertical and horizontal neighbours, over all channels, as [1]. */
export function totalVariationLoss(x: Node): Node {
  return x.graph.add('tv', [x]);
}
defineOp('tv', { shape: () => SCALAR, run: (e, [x]) => totalVariation(e, x) });

export function totalVariationLossBackward(x: Node, dL: Node): Node {
  return x.graph.add('tvBackward', [x, dL]);
}
defineOp('tvBackward', { shape: (s) => s[0], run: (e, [x, dL]) => totalVariationBackward(e, x, dL) });
