// The gradient table: for each forward op, the backward ops that make d(loss)/d(input) from dy.
// `needs[k]` says whether input k wants a gradient (frozen weights do not), so no work is spent on them.
import type { Node } from './graph.ts';
import * as op from './ops.ts';
import type { Conv2dAttrs, PoolAttrs } from './ops.ts';

export type GradientRule = (node: Node, dy: Node, needs: readonly boolean[]) => (Node | undefined)[];

export const GRADIENTS: Record<string, GradientRule> = {
  add: (_, dy) => [dy, dy],
  scale: (n, dy) => [op.scale(dy, n.attrs.factor as number)],
  // relu's output carries the sign the backward needs; using it lets the fusion pass drop the pre-activation.
  relu: (n, dy) => [op.reluBackward(n, dy)],
  conv2d: (n, dy, needs) => {
    const [x, w] = n.inputs;
    const a = n.attrs as Conv2dAttrs;
    return [
      needs[0] ? op.conv2dBackwardInput(dy, w, x, a) : undefined,
      needs[1] ? op.conv2dBackwardWeight(x, dy, w, a) : undefined,
      needs[2] ? op.conv2dBackwardBias(dy) : undefined,
    ];
  },
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
