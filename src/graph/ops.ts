// Graph ops: a constructor per op and its definition, the object it hands to Graph.add (its shape rule, the one
// place an output shape is computed, and how it runs on our kernels; registry.ts). Graph.add applies the shape
// rule, so a graph is shape-checked as it is built. Backward ops are ops like any other; gradients.ts says which backward
// ops each forward op's gradient is made of.
import * as act from '../kernels/activation.ts';
import * as conv from '../kernels/conv2d.ts';
import * as ew from '../kernels/elementwise.ts';
import type * as epilogue from '../kernels/epilogue.ts';
import * as geometry from '../kernels/geometry.ts';
import * as resample from '../kernels/resample.ts';
import { gramMatrix, gramMatrixBackward } from '../kernels/gram.ts';
import { mseLoss, mseLossBackward, totalVariation, totalVariationBackward } from '../kernels/loss.ts';
import * as norm from '../kernels/norm.ts';
import * as pool from '../kernels/pool.ts';
import { type Shape, shapeString } from '../runtime/tensor.ts';
import type { Graph, Node } from './graph.ts';
import { fuseGradAddAct, fuseGramMse, fuseLinearSum, fuseLossWeight, fuseNormAdd } from './patterns.ts';
import type { OpDef } from './registry.ts';

const same = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);
/** Shape rule of ops whose inputs all have one shape, which is also the output's. */
function sameShapes(s: readonly Shape[]): Shape {
  for (const t of s.slice(1)) if (!same(s[0], t)) throw new Error(`shapes differ, ${s.map(shapeString).join(' vs ')}`);
  return s[0];
}
const SCALAR: Shape = [1];

// ---- elementwise

export function fill(shape: Shape, value: number, g: Graph): Node {
  return g.add(fillOp, [], { shape, value });
}
const fillOp: OpDef<{ shape: Shape; value: number }> = { name: 'fill', shape: (_, a) => a.shape, run: (e, _, a) => ew.fill(e, a.shape, a.value) };

export function add(a: Node, b: Node): Node {
  return a.graph.add(addOp, [a, b]);
}
const addOp: OpDef = { name: 'add', shape: sameShapes, run: (e, [a, b]) => ew.add(e, a, b) };

export function scale(x: Node, factor: number): Node {
  return x.graph.add(scaleOp, [x], { factor });
}
// scale and axpy anchor the linearSum rewrite (patterns.ts), for the add trees too: add alone would carry it onto
// the fast-style page, whose residual adds are the only sums it builds.
const scaleOp: OpDef<{ factor: number }> = { name: 'scale', shape: (s) => s[0], run: (e, [x], a) => ew.scale(e, x, a.factor), patterns: { linearSum: fuseLinearSum } };

/** The same values under another shape of the same size (row-major): a view, no copy. */
export function reshape(x: Node, shape: Shape): Node {
  return x.graph.add(reshapeOp, [x], { shape });
}
const reshapeOp: OpDef<{ shape: Shape }> = {
  name: 'reshape',
  shape: ([x], a) => {
    const n = (s: Shape) => s.reduce((p, d) => p * d, 1);
    if (n(x) !== n(a.shape) || !a.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`cannot view ${shapeString(x)} as ${shapeString(a.shape)}`);
    return a.shape;
  },
  run: (_, [x], a) => x.reshape(a.shape),
  view: true,
};

/** alpha·x + y (one fused multiply-add per element). */
export function axpy(alpha: number, x: Node, y: Node): Node {
  return x.graph.add(axpyOp, [x, y], { alpha });
}
const axpyOp: OpDef<{ alpha: number }> = { name: 'axpy', shape: sameShapes, run: (e, [x, y], a) => ew.axpy(e, a.alpha, x, y), patterns: { linearSum: fuseLinearSum } };

/** Σ weights[i]·xs[i], accumulated in order (w₀·x₀, then one axpy per further term): style interpolation
 *  and label-weighted branch sums. Built from scale and axpy nodes, so it needs no rule of its own. */
export function weightedSum(xs: readonly Node[], weights: readonly number[]): Node {
  if (xs.length === 0 || xs.length !== weights.length) throw new Error(`weightedSum: ${xs.length} terms and ${weights.length} weights`);
  return xs.slice(1).reduce((sum, x, i) => axpy(weights[i + 1], x, sum), scale(xs[0], weights[0]));
}

/** a·x + b with scalars a, b. */
export function scalarAffine(x: Node, a: number, b: number): Node {
  return x.graph.add(scalarAffineOp, [x], { a, b });
}
const scalarAffineOp: OpDef<{ a: number; b: number }> = { name: 'scalarAffine', shape: (s) => s[0], run: (e, [x], a) => act.scalarAffine(e, x, a.a, a.b) };

/** x·scale[c] + shift[c] over x [N, C, ...], scale and shift [C]. */
export function affine(x: Node, scaleC: Node, shift: Node): Node {
  return x.graph.add(affineOp, [x, scaleC, shift]);
}
function perChannel(x: Shape, ...params: Shape[]): void {
  if (x.length < 2) throw new Error(`x must be [N, C, ...], got ${shapeString(x)}`);
  for (const p of params) if (p.length !== 1 || p[0] !== x[1]) throw new Error(`per-channel parameter ${shapeString(p)} does not fit ${x[1]} channels`);
}
const affineOp: OpDef = { name: 'affine', shape: ([x, g, b]) => (perChannel(x, g, b), x), run: (e, [x, g, b]) => act.affine(e, x, g, b) };

export type AffineInput = 'x' | 'scale' | 'shift';
/** One gradient of affine(x, scale, ·) for upstream dy: d/dx = dy·scale[c], d/dscale = Σ dy·x, d/dshift = Σ dy
 *  per channel (the kernel makes all three; the others are dropped). */
export function affineBackward(x: Node, scaleC: Node, dy: Node, wrt: AffineInput): Node {
  return x.graph.add(affineBackwardOp, [x, scaleC, dy], { wrt });
}
const affineBackwardOp: OpDef<{ wrt: AffineInput }> = {
  name: 'affineBackward',
  shape: ([x, g, dy], a) => (perChannel(x, g), sameShapes([x, dy]), a.wrt === 'x' ? x : [x[1]]),
  run: (e, [x, g, dy], a) => {
    const grads = act.affineBackward(e, x, g, dy);
    const keep = a.wrt === 'x' ? grads.dx : a.wrt === 'scale' ? grads.dscale : grads.dshift;
    for (const t of [grads.dx, grads.dscale, grads.dshift]) if (t !== keep) t.release();
    return keep;
  },
};

// ---- activations

export function relu(x: Node): Node {
  return x.graph.add(reluOp, [x]);
}
const reluOp: OpDef = { name: 'relu', shape: (s) => s[0], run: (e, [x], _, into) => act.relu(e, x, into), writesInto: true };

/** dx = dy·[y > 0]; y may be relu's input or output (same sign). */
export function reluBackward(y: Node, dy: Node): Node {
  return y.graph.add(reluBackwardOp, [y, dy]);
}
const reluBackwardOp: OpDef = {
  name: 'reluBackward',
  shape: sameShapes,
  run: (e, [y, dy], _, into) => act.reluBackward(e, y, dy, into),
  writesInto: true,
  patterns: { gradAddAct: fuseGradAddAct },
};

/** x > 0 ? x : slope·x */
export function leakyRelu(x: Node, slope: number): Node {
  return x.graph.add(leakyReluOp, [x], { slope });
}
const leakyReluOp: OpDef<{ slope: number }> = { name: 'leakyRelu', shape: (s) => s[0], run: (e, [x], a, into) => act.leakyRelu(e, x, a.slope, into), writesInto: true };

/** dx = dy·(x > 0 ? 1 : slope); for slope ≥ 0, x may be leakyRelu's output instead (same sign). */
export function leakyReluBackward(x: Node, dy: Node, slope: number): Node {
  return x.graph.add(leakyReluBackwardOp, [x, dy], { slope });
}
const leakyReluBackwardOp: OpDef<{ slope: number }> = {
  name: 'leakyReluBackward',
  shape: sameShapes,
  run: (e, [x, dy], a, into) => act.leakyReluBackward(e, x, dy, a.slope, into),
  writesInto: true,
  patterns: { gradAddAct: fuseGradAddAct },
};

export function tanh(x: Node): Node {
  return x.graph.add(tanhOp, [x]);
}
const tanhOp: OpDef = { name: 'tanh', shape: (s) => s[0], run: (e, [x]) => act.tanh(e, x) };

/** dx = dy·(1 − y²) from tanh's output y. */
export function tanhBackward(y: Node, dy: Node): Node {
  return y.graph.add(tanhBackwardOp, [y, dy]);
}
const tanhBackwardOp: OpDef = { name: 'tanhBackward', shape: sameShapes, run: (e, [y, dy]) => act.tanhBackward(e, y, dy) };

/** An activation in another op's epilogue (set by the fusion pass): the kernels' type, less 'none'. */
export type Activation = Exclude<epilogue.Activation, 'none'>;

// ---- convolution (weights [Cout, Cin, KH, KW]; bias optional)

export interface Conv2dAttrs extends Record<string, unknown> {
  stride: number;
  padding: geometry.Padding;
  padMode: conv.PadMode;
  /** Set by the fusion pass only. */
  activation?: Activation;
  /** Set by the program's paddedOutput plan only: the kernel whose padded input layout it planned for. */
  impl?: string;
}

function convOutShape(x: Shape, w: Shape, a: Conv2dAttrs): Shape {
  const [N, Cin, H, W] = x;
  const [Cout, wCin, KH, KW] = w;
  if (x.length !== 4 || w.length !== 4 || Cin !== wCin) throw new Error(`input ${shapeString(x)} does not fit weight ${shapeString(w)}`);
  const [outH, outW] = geometry.conv2dOutputSize(H, W, KH, KW, a.stride, a.padding);
  if (outH < 1 || outW < 1) throw new Error(`kernel ${KH}×${KW} is larger than the padded input ${shapeString(x)} (padding ${JSON.stringify(a.padding)})`);
  return [N, Cout, outH, outW];
}

export function conv2d(x: Node, w: Node, bias: Node | undefined, opts: { stride?: number; padding?: number | geometry.Padding; padMode?: conv.PadMode } = {}): Node {
  const p = opts.padding ?? 0;
  const attrs: Conv2dAttrs = {
    stride: opts.stride ?? 1,
    padding: geometry.paddingOf(p),
    padMode: opts.padMode ?? 'zeros',
  };
  return x.graph.add(conv2dOp, bias ? [x, w, bias] : [x, w], attrs);
}
const conv2dOp: OpDef<Conv2dAttrs> = {
  name: 'conv2d',
  shape: (s, a) => convOutShape(s[0], s[1], a),
  run: (e, [x, w, bias], a) =>
    conv.conv2d(e, x, w, {
      bias,
      stride: a.stride,
      padding: a.padding,
      padMode: a.padMode,
      activation: a.activation ?? 'none',
      impl: a.impl,
    }),
  paddedInput(ctx, [x, w], a) {
    const planned = conv.conv2dInputLayout(ctx, x, w, a);
    return planned && { layout: planned.layout, attrs: { ...a, impl: planned.impl } };
  },
};

export function conv2dBackwardInput(dy: Node, w: Node, x: Node, attrs: Conv2dAttrs): Node {
  return dy.graph.add(conv2dBackwardInputOp, [dy, w], { ...attrs, inputShape: x.shape });
}
const conv2dBackwardInputOp: OpDef<Conv2dAttrs & { inputShape: Shape }> = {
  name: 'conv2dBackwardInput',
  shape: (_, a) => a.inputShape,
  run: (e, [dy, w], a) => conv.conv2dBackwardInput(e, dy, w, a.inputShape, { stride: a.stride, padding: a.padding, padMode: a.padMode, impl: a.impl }),
  paddedInput(ctx, [, w], a) {
    const planned = conv.conv2dBackwardInputLayout(ctx, a.inputShape, w, a);
    return planned && { layout: planned.layout, attrs: { ...a, impl: planned.impl } };
  },
};

export function conv2dBackwardWeight(x: Node, dy: Node, w: Node, attrs: Conv2dAttrs): Node {
  return x.graph.add(conv2dBackwardWeightOp, [x, dy], { ...attrs, weightShape: w.shape });
}
const conv2dBackwardWeightOp: OpDef<Conv2dAttrs & { weightShape: Shape }> = {
  name: 'conv2dBackwardWeight',
  shape: (_, a) => a.weightShape,
  run: (e, [x, dy], a) => conv.conv2dBackwardWeight(e, x, dy, a.weightShape, { stride: a.stride, padding: a.padding, padMode: a.padMode }),
};

export function conv2dBackwardBias(dy: Node): Node {
  return dy.graph.add(conv2dBackwardBiasOp, [dy]);
}
const conv2dBackwardBiasOp: OpDef = { name: 'conv2dBackwardBias', shape: (s) => [s[0][1]], run: (e, [dy]) => conv.conv2dBackwardBias(e, dy) };

export interface ConvTranspose2dAttrs extends geometry.ConvTranspose2dGeometry, Record<string, unknown> {}

function convTransposeOutShape(x: Shape, w: Shape, a: ConvTranspose2dAttrs): Shape {
  const [N, Cin, H, W] = x;
  if (x.length !== 4 || w.length !== 4 || Cin !== w[0]) throw new Error(`input ${shapeString(x)} does not fit weight ${shapeString(w)} ([Cin, Cout, KH, KW])`);
  const mismatch = geometry.convTransposeMismatch(H, W, w[2], w[3], a);
  if (mismatch) throw new Error(mismatch);
  return [N, w[1], a.outH, a.outW];
}

/** ConvTranspose2d: x [N, Cin, H, W], w [Cin, Cout, KH, KW] (PyTorch layout), bias [Cout]; the geometry from
 *  torchConvTranspose2d() or tfConvTranspose2dSame() in kernels/conv2d.ts. */
export function convTranspose2d(x: Node, w: Node, bias: Node | undefined, g: geometry.ConvTranspose2dGeometry): Node {
  const { stride, padding, outH, outW } = g;
  return x.graph.add(convTranspose2dOp, bias ? [x, w, bias] : [x, w], { stride, padding, outH, outW });
}
const convTranspose2dOp: OpDef<ConvTranspose2dAttrs> = {
  name: 'convTranspose2d',
  shape: (s, a) => convTransposeOutShape(s[0], s[1], a),
  run: (e, [x, w, bias], a) => conv.convTranspose2d(e, x, w, { ...a, bias }),
};

export function convTranspose2dBackwardInput(dy: Node, w: Node, x: Node, attrs: ConvTranspose2dAttrs): Node {
  return dy.graph.add(convTranspose2dBackwardInputOp, [dy, w], { ...attrs, inputShape: x.shape });
}
const convTranspose2dBackwardInputOp: OpDef<ConvTranspose2dAttrs & { inputShape: Shape }> = {
  name: 'convTranspose2dBackwardInput',
  shape: (_, a) => a.inputShape,
  run: (e, [dy, w], a) => conv.convTranspose2dBackwardInput(e, dy, w, a.inputShape, a),
};

export function convTranspose2dBackwardWeight(x: Node, dy: Node, w: Node, attrs: ConvTranspose2dAttrs): Node {
  return x.graph.add(convTranspose2dBackwardWeightOp, [x, dy], { ...attrs, weightShape: w.shape });
}
const convTranspose2dBackwardWeightOp: OpDef<ConvTranspose2dAttrs & { weightShape: Shape }> = {
  name: 'convTranspose2dBackwardWeight',
  shape: (_, a) => a.weightShape,
  run: (e, [x, dy], a) => conv.convTranspose2dBackwardWeight(e, x, dy, a.weightShape, a),
};

// ---- normalisation (statistics per (n, c) over H·W)

export interface MomentAttrs extends Record<string, unknown> {
  /** Divide the squared deviations by H·W − 1 instead of H·W. */
  unbiased: boolean;
  /** Added to the variance before the square root. */
  eps: number;
}

function features(x: Shape, { unbiased }: MomentAttrs, what = 'x'): Shape {
  if (x.length !== 4 || x.some((d) => d === 0)) throw new Error(`${what} must be a non-empty [N, C, H, W] tensor, got ${shapeString(x)}`);
  if (unbiased && x[2] * x[3] < 2) throw new Error(`unbiased variance needs H·W ≥ 2 positions per channel, ${what} is ${shapeString(x)}`);
  return x;
}

export interface InstanceNormAttrs extends MomentAttrs {
  /** Set by the fusion pass only (the kernel's epilogue offers ReLU). */
  activation?: Activation;
}

/** (x − μ)/sqrt(σ² + eps) per (n, c), times gamma[c] plus beta[c] when given. Defaults as
 *  torch.nn.functional.instance_norm (biased variance, eps 1e-5). */
export function instanceNorm(x: Node, opts: { gamma?: Node; beta?: Node; eps?: number; unbiased?: boolean } = {}): Node {
  if (!opts.gamma !== !opts.beta) throw new Error('instanceNorm: give both gamma and beta, or neither');
  const attrs: InstanceNormAttrs = { unbiased: opts.unbiased ?? norm.INSTANCE_NORM_MOMENTS.unbiased, eps: opts.eps ?? norm.INSTANCE_NORM_MOMENTS.eps };
  return x.graph.add(instanceNormOp, opts.gamma && opts.beta ? [x, opts.gamma, opts.beta] : [x], attrs);
}
const instanceNormOp: OpDef<InstanceNormAttrs> = {
  name: 'instanceNorm',
  shape: ([x, ...params], a) => (perChannel(features(x, a), ...params), x),
  run: (e, [x, gamma, beta], a, into) => {
    if (a.activation && a.activation !== 'relu') throw new Error(`instanceNorm: no fused ${JSON.stringify(a.activation)} epilogue`);
    return norm.instanceNorm(e, x, { gamma, beta, eps: a.eps, unbiased: a.unbiased, relu: a.activation === 'relu' }, into);
  },
  writesInto: true,
  patterns: { normAdd: fuseNormAdd },
};

export type InstanceNormInput = 'x' | 'gamma' | 'beta';
/** One gradient of instanceNorm(x, gamma, ·) for upstream dy (before any fused activation): d/dx [N, C, H, W],
 *  d/dgamma or d/dbeta [C]. The kernel makes those it is asked for together; the others are dropped. */
export function instanceNormBackward(x: Node, dy: Node, gamma: Node | undefined, attrs: MomentAttrs, wrt: InstanceNormInput): Node {
  return x.graph.add(instanceNormBackwardOp, gamma ? [x, dy, gamma] : [x, dy], { unbiased: attrs.unbiased, eps: attrs.eps, wrt });
}
const instanceNormBackwardOp: OpDef<MomentAttrs & { wrt: InstanceNormInput }> = {
  name: 'instanceNormBackward',
  shape: ([x, dy, ...gamma], a) => {
    perChannel(features(sameShapes([x, dy]), a), ...gamma);
    if (a.wrt !== 'x' && gamma.length === 0) throw new Error(`no ${a.wrt} gradient without gamma`);
    return a.wrt === 'x' ? x : [x[1]];
  },
  run: (e, [x, dy, gamma], a) => {
    const grads = norm.instanceNormBackward(e, x, dy, { gamma, eps: a.eps, unbiased: a.unbiased });
    const keep = a.wrt === 'x' ? grads.dx : a.wrt === 'gamma' ? grads.dgamma! : grads.dbeta!;
    for (const t of [grads.dx, grads.dgamma, grads.dbeta]) if (t && t !== keep) t.release();
    return keep;
  },
};

const adainMoments = (o: { eps?: number; unbiased?: boolean }): MomentAttrs => ({ unbiased: o.unbiased ?? norm.ADAIN_MOMENTS.unbiased, eps: o.eps ?? norm.ADAIN_MOMENTS.eps });
function adainShape([content, style]: readonly Shape[], a: MomentAttrs): Shape {
  features(content, a, 'content');
  features(style, a, 'style');
  if (style[0] !== content[0] || style[1] !== content[1]) throw new Error(`style ${shapeString(style)} must have the batch and channels of content ${shapeString(content)}`);
  return content;
}

/** AdaIN(c, s) = σ(s)·(c − μ(c))/σ(c) + μ(s) per (n, c). Defaults as pytorch-AdaIN (unbiased variance, eps 1e-5),
 *  for both inputs' statistics. */
export function adain(content: Node, style: Node, opts: { eps?: number; unbiased?: boolean } = {}): Node {
  return content.graph.add(adainOp, [content, style], adainMoments(opts));
}
const adainOp: OpDef<MomentAttrs> = { name: 'adain', shape: adainShape, run: (e, [c, s], a) => norm.adain(e, c, s, a) };

/** d adain / d content for upstream dy, σ(style) and μ(style) held constant. */
export function adainBackward(content: Node, style: Node, dy: Node, attrs: MomentAttrs): Node {
  return content.graph.add(adainBackwardOp, [content, style, dy], { unbiased: attrs.unbiased, eps: attrs.eps });
}
const adainBackwardOp: OpDef<MomentAttrs> = {
  name: 'adainBackward',
  shape: ([c, s, dy], a) => (sameShapes([c, dy]), adainShape([c, s], a)),
  run: (e, [c, s, dy], a) => norm.adainBackward(e, c, s, dy, a),
};

/** AdaIN's statistics of x [N, C, H, W] as [N, C]: the mean, or sqrt(variance + eps). */
export function channelMoment(x: Node, which: 'mean' | 'std', opts: { eps?: number; unbiased?: boolean } = {}): Node {
  return x.graph.add(channelMomentOp, [x], { ...adainMoments(opts), which });
}
const channelMomentOp: OpDef<MomentAttrs & { which: 'mean' | 'std' }> = {
  name: 'channelMoment',
  shape: ([x], a) => (features(x, a), [x[0], x[1]]),
  run: (e, [x], a) => {
    const { mean, std } = norm.channelMeanStd(e, x, a);
    (a.which === 'mean' ? std : mean).release();
    return a.which === 'mean' ? mean : std;
  },
};

// ---- resampling

function image(x: Shape): Shape {
  if (x.length !== 4) throw new Error(`x must be [N, C, H, W], got ${shapeString(x)}`);
  return x;
}

/** Nearest-neighbour 2× upsampling [N, C, H, W] → [N, C, 2H, 2W]. */
export function upsampleNearest2x(x: Node): Node {
  return x.graph.add(upsampleNearest2xOp, [x]);
}
const upsampleNearest2xOp: OpDef = { name: 'upsampleNearest2x', shape: ([x]) => { const [N, C, H, W] = image(x); return [N, C, 2 * H, 2 * W]; }, run: (e, [x]) => resample.upsampleNearest2x(e, x) };

export function upsampleNearest2xBackward(dy: Node): Node {
  return dy.graph.add(upsampleNearest2xBackwardOp, [dy]);
}
const upsampleNearest2xBackwardOp: OpDef = {
  name: 'upsampleNearest2xBackward',
  shape: ([dy]) => {
    const [N, C, H, W] = image(dy);
    if (H % 2 || W % 2) throw new Error(`dy must have even H and W, got ${shapeString(dy)}`);
    return [N, C, H / 2, W / 2];
  },
  run: (e, [dy]) => resample.upsampleNearest2xBackward(e, dy),
};

/** Bilinear resize to height × width, as F.interpolate(mode='bilinear', align_corners=False). */
export function resizeBilinear(x: Node, height: number, width: number): Node {
  return x.graph.add(resizeBilinearOp, [x], { height, width });
}
const resizeBilinearOp: OpDef<{ height: number; width: number }> = {
  name: 'resizeBilinear',
  shape: ([x], a) => {
    const [N, C] = image(x);
    if (!Number.isInteger(a.height) || !Number.isInteger(a.width) || a.height < 1 || a.width < 1) throw new Error(`cannot resize to ${a.height}×${a.width}`);
    return [N, C, a.height, a.width];
  },
  run: (e, [x], a) => resample.resizeBilinear(e, x, a.height, a.width),
};

export function resizeBilinearBackward(dy: Node, x: Node): Node {
  return dy.graph.add(resizeBilinearBackwardOp, [dy], { inputShape: x.shape });
}
const resizeBilinearBackwardOp: OpDef<{ inputShape: Shape }> = { name: 'resizeBilinearBackward', shape: (_, a) => a.inputShape, run: (e, [dy], a) => resample.resizeBilinearBackward(e, dy, a.inputShape) };

// ---- pooling

export interface PoolAttrs extends Record<string, unknown> {
  kernel: number;
  stride: number;
  /** PyTorch's ceil_mode: round the output size up, the last window clipped at the edge. */
  ceilMode?: boolean;
}
function poolShape(x: Shape, a: PoolAttrs): Shape {
  const [N, C, H, W] = x;
  if (x.length !== 4 || H < a.kernel || W < a.kernel) throw new Error(`window ${a.kernel} does not fit ${shapeString(x)}`);
  return [N, C, geometry.poolOutputSize(H, a.kernel, a.stride, a.ceilMode), geometry.poolOutputSize(W, a.kernel, a.stride, a.ceilMode)];
}

export function maxPool2d(x: Node, kernel = 2, stride = kernel, opts: { ceilMode?: boolean } = {}): Node {
  const attrs: PoolAttrs = { kernel, stride, ...(opts.ceilMode ? { ceilMode: true } : {}) };
  return x.graph.add(maxPool2dOp, [x], attrs);
}
const maxPool2dOp: OpDef<PoolAttrs> = { name: 'maxPool2d', shape: (s, a) => poolShape(s[0], a), run: (e, [x], a, into) => pool.maxPool2d(e, x, a, into), writesInto: true };

export function avgPool2d(x: Node, kernel = 2, stride = kernel): Node {
  const attrs: PoolAttrs = { kernel, stride };
  return x.graph.add(avgPool2dOp, [x], attrs);
}
const avgPool2dOp: OpDef<PoolAttrs> = { name: 'avgPool2d', shape: (s, a) => poolShape(s[0], a), run: (e, [x], a, into) => pool.avgPool2d(e, x, a, into), writesInto: true };

export function maxPool2dBackward(x: Node, dy: Node, attrs: PoolAttrs): Node {
  return x.graph.add(maxPool2dBackwardOp, [x, dy], attrs);
}
const maxPool2dBackwardOp: OpDef<PoolAttrs> = { name: 'maxPool2dBackward', shape: (s) => s[0], run: (e, [x, dy], a) => pool.maxPool2dBackward(e, x, dy, a) };

export function avgPool2dBackward(dy: Node, x: Node, attrs: PoolAttrs): Node {
  return dy.graph.add(avgPool2dBackwardOp, [dy], { ...attrs, inputShape: x.shape });
}
const avgPool2dBackwardOp: OpDef<PoolAttrs & { inputShape: Shape }> = {
  name: 'avgPool2dBackward',
  shape: (_, a) => a.inputShape,
  run: (e, [dy], a) => pool.avgPool2dBackward(e, dy, a.inputShape, a),
};

// ---- Gram matrix and losses

/** G = F·Fᵀ / norm, F [N, C, H, W] → [N, C, C]. */
export function gram(F: Node, norm: number): Node {
  return F.graph.add(gramOp, [F], { norm });
}
const gramOp: OpDef<{ norm: number }> = {
  name: 'gram',
  shape: (s) => [s[0][0], s[0][1], s[0][1]],
  run: (e, [F], a) => gramMatrix(e, F, a.norm),
  patterns: { gramMse: fuseGramMse },
};

export function gramBackward(F: Node, dG: Node, norm: number): Node {
  return F.graph.add(gramBackwardOp, [F, dG], { norm });
}
const gramBackwardOp: OpDef<{ norm: number }> = { name: 'gramBackward', shape: (s) => s[0], run: (e, [F, dG], a) => gramMatrixBackward(e, F, dG, a.norm) };

export interface LossAttrs extends Record<string, unknown> {
  /** Set by the fusion pass only (lossWeight): the factor of the scale step folded in, on the loss or on its
   *  backward's upstream gradient. */
  weight?: number;
}
/** The loss ops anchor the lossWeight rewrite (patterns.ts), which sets their weight. */
const lossWeight = { lossWeight: fuseLossWeight };

/** mean((a − b)²) as [1]. */
export function mse(a: Node, b: Node): Node {
  return a.graph.add(mseOp, [a, b]);
}
const mseOp: OpDef<LossAttrs> = { name: 'mse', shape: (s) => (sameShapes(s), SCALAR), run: (e, [a, b], w) => mseLoss(e, a, b, w.weight), patterns: lossWeight };

export function mseBackward(a: Node, b: Node, dL: Node): Node {
  return a.graph.add(mseBackwardOp, [a, b, dL]);
}
const mseBackwardOp: OpDef<LossAttrs> = { name: 'mseBackward', shape: (s) => s[0], run: (e, [a, b, dL], w) => mseLossBackward(e, a, b, dL, w.weight), patterns: lossWeight };

/** Σ squared differences of vertical and horizontal neighbours, over all channels, as [1]. */
export function totalVariationLoss(x: Node): Node {
  return x.graph.add(tvOp, [x]);
}
const tvOp: OpDef<LossAttrs> = { name: 'tv', shape: () => SCALAR, run: (e, [x], w) => totalVariation(e, x, w.weight), patterns: lossWeight };

export function totalVariationLossBackward(x: Node, dL: Node): Node {
  return x.graph.add(tvBackwardOp, [x, dL]);
}
const tvBackwardOp: OpDef<LossAttrs> = { name: 'tvBackward', shape: (s) => s[0], run: (e, [x, dL], w) => totalVariationBackward(e, x, dL, w.weight), patterns: lossWeight };
