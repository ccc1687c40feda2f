// The gradient table: for each forward op, the backward ops that make d(loss)/d(input) from dy.
// `needs[k]` says whether input k wants a gradient (frozen weights do not), so no work is spent on them.
import type { Node } from './graph.ts';
import * as op from './ops.ts';
import type { Activation, Conv2dAttrs, ConvTranspose2dAttrs, InstanceNormAttrs, MomentAttrs, PoolAttrs } from './ops.ts';

export type GradientRule = (node: Node, dy: Node, needs: readonly boolean[]) => (Node | undefined)[];

/** dy before a fused activation, from the fused op's output y (ReLU and leaky ReLU with slope ≥ 0 keep the
 *  sign of their input, so the output is all their backward needs). */
function beforeActivation(y: Node, dy: Node, activation: Activation | undefined): Node {
  if (!activation) return dy;
  if (activation === 'relu') return op.reluBackward(y, dy);
  const slope = activation.leakyRelu;
  if (slope < 0) throw new Error(`grad: a fused leaky ReLU with negative slope ${slope} cannot be differentiated from its output`);
  return op.leakyReluBackward(y, dy, slope);
}

/** Gradients of a convolution-like node (x, w, bias?) for dy before any activation, from its family's input-
 *  and weight-gradient ops; the bias gradient is Σ dy per channel for all of them. */
function convGradients(
  n: Node, dy: Node, needs: readonly boolean[],
  backward: { input: (dy: Node, w: Node, x: Node) => Node; weight: (x: Node, dy: Node, w: Node) => Node },
): (Node | undefined)[] {
  const [x, w] = n.inputs;
  return [needs[0] ? backward.input(dy, w, x) : undefined, needs[1] ? backward.weight(x, dy, w) : undefined, needs[2] ? op.conv2dBackwardBias(dy) : undefined];
}

export const GRADIENTS: Record<string, GradientRule> = {
  add: (_, dy) => [dy, dy],
  scale: (n, dy) => [op.scale(dy, n.attrs.factor as number)],
  axpy: (n, dy, needs) => [needs[0] ? op.scale(dy, n.attrs.alpha as number) : undefined, dy],
  reshape: (n, dy) => [op.reshape(dy, n.inputs[0].shape)],
  scalarAffine: (n, dy) => [op.scale(dy, n.attrs.a as number)],
  affine: (n, dy, needs) => {
    const [x, s] = n.inputs;
    return (['x', 'scale', 'shift'] as const).map((wrt, k) => (needs[k] ? op.affineBackward(x, s, dy, wrt) : undefined));
  },
  // relu's output carries the sign the backward needs; using it lets the fusion pass drop the pre-activation.
  relu: (n, dy) => [op.reluBackward(n, dy)],
  leakyRelu: (n, dy) => {
    const slope = n.attrs.slope as number;
    return [slope >= 0 ? op.leakyReluBackward(n, dy, slope) : op.leakyReluBackward(n.inputs[0], dy, slope)];
  },
  tanh: (n, dy) => [op.tanhBackward(n, dy)],
  conv2d: (n, dy, needs) => {
    const a = n.attrs as Conv2dAttrs;
    const geometry = { stride: a.stride, padding: a.padding, padMode: a.padMode };
    return convGradients(n, beforeActivation(n, dy, a.activation), needs, {
      input: (d, w, x) => op.conv2dBackwardInput(d, w, x, geometry),
      weight: (x, d, w) => op.conv2dBackwardWeight(x, d, w, geometry),
    });
  },
  convTranspose2d: (n, dy, needs) => {
    const a = n.attrs as ConvTranspose2dAttrs;
    return convGradients(n, dy, needs, {
      input: (d, w, x) => op.convTranspose2dBackwardInput(d, w, x, a),
      weight: (x, d, w) => op.convTranspose2dBackwardWeight(x, d, w, a),
    });
  },
  instanceNorm: (n, dy, needs) => {
    const [x, gamma] = n.inputs;
    const a = n.attrs as InstanceNormAttrs;
    const d = beforeActivation(n, dy, a.activation);
    return (['x', 'gamma', 'beta'] as const).map((wrt, k) => (needs[k] ? op.instanceNormBackward(x, d, gamma, a, wrt) : undefined));
  },
  adain: (n, dy, needs) => {
    const [content, style] = n.inputs;
    if (needs[1]) throw new Error('grad: adain has no gradient with respect to its style input (no kernel for it)');
    return [op.adainBackward(content, style, dy, n.attrs as MomentAttrs)];
  },
  upsampleNearest2x: (_, dy) => [op.upsampleNearest2xBackward(dy)],
  resizeBilinear: (n, dy) => [op.resizeBilinearBackward(dy, n.inputs[0])],
  maxPool2d: (n, dy) => [op.maxPool2dBackward(n.inputs[0], dy, n.attrs as PoolAttrs)],
  avgPool2d: (n, dy) => [op.avgPool2dBackward(dy, n.inputs[0], n.attrs as PoolAttrs)],
  gram: (n, dy) => [op.gramBackward(n.inputs[0], dy, n.attrs.norm as number)],
  // d mean((a − b)²) = ±2(a − b)/n · dL; the second input is usually a constant target.
  mse: (n, dy, needs) => {
    const [a, b] = n.inputs;
    return [needs[0] ? op.mseBackward(a, b, dy) : undefined, needs[1] ? op.mseBackward(b, a, dy) : undefined];
  },
  tv: (n, dy) => [op.totalVariationLossBackward(n.inputs[0], dy)],
};
