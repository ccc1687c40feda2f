// Loss terms as [1] tensors, and their backward with the upstream gradient dL as a [1] tensor, so an optimizer
// loop never reads back (shaders/loss.wgsl). Forward sums reuse the reduce kernels.
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import { axpy, scale } from './elementwise.ts';
import { sum, sumOfSquares } from './reduce.ts';
import source from '../../shaders/loss.wgsl?raw';

const WG = 256;
export const LossParams = uniformStruct('LossParams', { n: 'u32', height: 'u32', width: 'u32', scale: 'f32' });
const module = shaderModule('loss', source, [LossParams]);
const constants = { WG };

export const mseBackwardKernel = kernel(module, { entryPoint: 'mseBackward', bindings: ['a', 'b', 'dL', 'out'], uniforms: LossParams, constants });
export const tvTermsKernel = kernel(module, { entryPoint: 'tvTerms', bindings: ['x', 'out'], uniforms: LossParams, constants });
export const tvBackwardKernel = kernel(module, { entryPoint: 'tvBackward', bindings: ['x', 'dL', 'out'], uniforms: LossParams, constants });

function grid(e: Engine, n: number) {
  return grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension);
}

function checkPair(op: string, a: Tensor, b: Tensor): void {
  if (a.size === 0) throw new Error(`${op}: a is empty ${shapeString(a.shape)}`);
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: shapes differ, ${shapeString(a.shape)} vs ${shapeString(b.shape)}`);
  }
}

function checkUpstream(op: string, dL: Tensor): void {
  if (dL.size !== 1) throw new Error(`${op}: dL must hold one value (a [1] tensor), got ${shapeString(dL.shape)}`);
}

/** A loss weight (lossWeight rewrite, src/graph/patterns.ts) must be a finite number. */
function checkWeight(op: string, weight: number): void {
  if (!Number.isFinite(weight)) throw new Error(`${op}: weight must be finite, got ${weight}`);
}

function checkImage(op: string, x: Tensor): [number, number] {
  if (x.shape.length !== 4 || x.size === 0) throw new Error(`${op}: x must be a non-empty [N, C, H, W] tensor, got ${shapeString(x.shape)}`);
  return [x.shape[2], x.shape[3]];
}

/** weight·mean((a − b)²) over all elements, as a [1] tensor (torch.nn.functional.mse_loss, reduction 'mean'); the
 *  weight joins the 1/n of the mean's scale. */
export function mseLoss(e: Engine, a: Tensor, b: Tensor, weight = 1): Tensor {
  checkPair('mseLoss', a, b);
  checkWeight('mseLoss', weight);
  const diff = axpy(e, -1, b, a);
  const total = sumOfSquares(e, diff);
  diff.release();
  const loss = scale(e, total, weight / a.size);
  total.release();
  return loss;
}

/** d mseLoss(a, b, weight) / da = 2·weight·(a − b)·dL / n, dL the upstream gradient [1] (the gradient for b is its
 *  negative). */
export function mseLossBackward(e: Engine, a: Tensor, b: Tensor, dL: Tensor, weight = 1): Tensor {
  checkPair('mseLossBackward', a, b);
  checkUpstream('mseLossBackward', dL);
  checkWeight('mseLossBackward', weight);
  const out = e.empty(a.shape);
  e.run(mseBackwardKernel, {
    bindings: { a, b, dL, out },
    uniforms: { n: a.size, height: 1, width: 1, scale: (2 * weight) / a.size },
    workgroups: grid(e, a.size),
  });
  return out;
}

/** Squared total variation of x [N, C, H, W], summed over N and C, times weight, as a [1] tensor:
 *  weight·Σ (x[i+1, j] − x[i, j])² + (x[i, j+1] − x[i, j])² over every pair of vertical / horizontal neighbours
 *  (the weight applied to each term before the sum). */
export function totalVariation(e: Engine, x: Tensor, weight = 1): Tensor {
  const [height, width] = checkImage('totalVariation', x);
  checkWeight('totalVariation', weight);
  const terms = e.empty(x.shape);
  e.run(tvTermsKernel, { bindings: { x, out: terms }, uniforms: { n: x.size, height, width, scale: weight }, workgroups: grid(e, x.size) });
  const loss = sum(e, terms);
  terms.release();
  return loss;
}

/** d totalVariation(x, weight) / dx · dL, dL the upstream gradient [1]. */
export function totalVariationBackward(e: Engine, x: Tensor, dL: Tensor, weight = 1): Tensor {
  const [height, width] = checkImage('totalVariationBackward', x);
  checkUpstream('totalVariationBackward', dL);
  checkWeight('totalVariationBackward', weight);
  const out = e.empty(x.shape);
  e.run(tvBackwardKernel, { bindings: { x, dL, out }, uniforms: { n: x.size, height, width, scale: 2 * weight }, workgroups: grid(e, x.size) });
  return out;
}
