// Max and average 2-D pooling with their backward passes (shaders/pool.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/pool.wgsl?raw';
import outputLayoutWgsl from '../../shaders/outputLayout.wgsl?raw';
import { type PoolWindow, poolGeometry } from './geometry.ts';
import { OUTPUT_LAYOUT_FIELDS, outputLayoutUniforms, outputTensor } from './layout.ts';

const WG = 256;
export const PoolParams = uniformStruct('PoolParams', {
  n: 'u32',
  height: 'u32',
  width: 'u32',
  outHeight: 'u32',
  outWidth: 'u32',
  kernel: 'u32',
  stride: 'u32',
  ...OUTPUT_LAYOUT_FIELDS,
});
const module = shaderModule('pool', source, [PoolParams], [outputLayoutWgsl]);
const constants = { WG };

export const maxPoolKernel = kernel(module, { entryPoint: 'maxPool', bindings: ['x', 'out'], uniforms: PoolParams, constants });
export const maxPoolBackwardKernel = kernel(module, { entryPoint: 'maxPoolBackward', bindings: ['x', 'dy', 'out'], uniforms: PoolParams, constants });
const DISJOINT_WG = 64;
export const maxPoolBackwardDisjointKernel = kernel(module, { entryPoint: 'maxPoolBackwardDisjoint', bindings: ['x', 'dy', 'out'], uniforms: PoolParams, constants: { WG: DISJOINT_WG } });
export const avgPoolKernel = kernel(module, { entryPoint: 'avgPool', bindings: ['x', 'out'], uniforms: PoolParams, constants });
export const avgPoolBackwardKernel = kernel(module, { entryPoint: 'avgPoolBackward', bindings: ['dy', 'out'], uniforms: PoolParams, constants });

/** Window side, stride (default the side) and ceil mode. */
export type PoolOptions = PoolWindow;

function checkGradShape(op: string, dy: Tensor, outShape: Shape): void {
  if (shapeString(dy.shape) !== shapeString(outShape)) {
    throw new Error(`${op}: dy must be the pooled shape ${shapeString(outShape)}, got ${shapeString(dy.shape)}`);
  }
}

type Geometry = ReturnType<typeof poolGeometry>;

/** Dispatch one pooling kernel with one invocation per element of `shape`, written to `into` (the forward
 *  passes store through outIndex, so it may be in a padded layout) or a new tensor. */
function runPool(e: Engine, op: string, k: typeof maxPoolKernel, bindings: Record<string, Tensor>, g: Geometry, shape: Shape, into?: Tensor): Tensor {
  const out = outputTensor(e, op, shape, into);
  const n = out.size;
  const { height, width, outHeight, outWidth, kernel: window, stride } = g;
  e.run(k, {
    bindings: { ...bindings, out: out.storage() },
    uniforms: { n, height, width, outHeight, outWidth, kernel: window, stride, ...outputLayoutUniforms(out) },
    workgroups: grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension),
  });
  return out;
}

/** max over each k×k window of x [N, C, H, W] (stride s, no padding); ties pick the first in row-major order. */
export function maxPool2d(e: Engine, x: Tensor, opts: PoolOptions, into?: Tensor): Tensor {
  const g = poolGeometry('maxPool2d', x.shape, opts);
  return runPool(e, 'maxPool2d', maxPoolKernel, { x }, g, g.outShape, into);
}

/** ∂/∂x of maxPool2d: each dy goes to its window's (first) maximum in x; overlapping windows add up.
 *  Disjoint windows (stride ≥ kernel) scatter, one invocation per window; overlapping ones gather, one per
 *  input element. */
export function maxPool2dBackward(e: Engine, x: Tensor, dy: Tensor, opts: PoolOptions): Tensor {
  const g = poolGeometry('maxPool2dBackward', x.shape, opts);
  checkGradShape('maxPool2dBackward', dy, g.outShape);
  const [N, C] = x.shape;
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (g.stride >= g.kernel && Math.max(g.outHeight, N * C) <= maxDim) {
    // Disjoint windows: scatter each dy to its argmax over zeros (uncovered pixels keep 0).
    const dx = e.zeros(x.shape);
    const { height, width, outHeight, outWidth, kernel: window, stride } = g;
    e.run(maxPoolBackwardDisjointKernel, {
      bindings: { x, dy, out: dx },
      uniforms: { n: dy.size, height, width, outHeight, outWidth, kernel: window, stride, ...outputLayoutUniforms(dx) },
      workgroups: [Math.ceil(outWidth / DISJOINT_WG), outHeight, N * C],
    });
    return dx;
  }
  return runPool(e, 'maxPool2dBackward', maxPoolBackwardKernel, { x, dy }, g, x.shape);
}

/** Mean over each k×k window of x [N, C, H, W] (stride s, no padding). */
export function avgPool2d(e: Engine, x: Tensor, opts: PoolOptions, into?: Tensor): Tensor {
  const g = poolGeometry('avgPool2d', x.shape, opts);
  return runPool(e, 'avgPool2d', avgPoolKernel, { x }, g, g.outShape, into);
}

/** ∂/∂x of avgPool2d for an input of `inputShape`: each dy spreads dy/k² over its window. */
export function avgPool2dBackward(e: Engine, dy: Tensor, inputShape: Shape, opts: PoolOptions): Tensor {
  const g = poolGeometry('avgPool2dBackward', inputShape, opts);
  checkGradShape('avgPool2dBackward', dy, g.outShape);
  return runPool(e, 'avgPool2dBackward', avgPoolBackwardKernel, { dy }, g, inputShape);
}
