// Reductions to a scalar: sum and dot (shaders/reduce.wgsl). Results stay on the GPU as [1] tensors;
// read them only when control flow needs the number.
import type { Engine } from '../runtime/engine.ts';
import { type KernelSpec, grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import type { UniformFields, UniformValues } from '../runtime/uniforms.ts';
import source from '../../shaders/reduce.wgsl?raw';
import workgroupReduceWgsl from '../../shaders/workgroupReduce.wgsl?raw';

/** Workgroup size and elements per invocation of every partial-reduction kernel (reduce.wgsl, lbfgs.wgsl). */
export const PARTIAL_CONSTANTS = { WG: 256, ITEMS: 8 } as const;
export const ReduceParams = uniformStruct('ReduceParams', { n: 'u32', groups: 'u32' });
const module = shaderModule('reduce', source, [ReduceParams], [workgroupReduceWgsl]);
const constants = PARTIAL_CONSTANTS;

export const sumPartialKernel = kernel(module, { entryPoint: 'sumPartial', bindings: ['x', 'partial'], uniforms: ReduceParams, constants });
export const dotPartialKernel = kernel(module, { entryPoint: 'dotPartial', bindings: ['x', 'y', 'partial'], uniforms: ReduceParams, constants });

/** One pass of a partial-reduction kernel over `n` elements: one value per workgroup of WG·ITEMS elements,
 *  written to a new `partial` tensor; `uniforms` gets the workgroup count. */
export function partialPass<F extends UniformFields>(
  e: Engine, k: KernelSpec<F>, bindings: Record<string, Tensor>, n: number, uniforms: (groups: number) => UniformValues<F>,
): Tensor {
  const groups = Math.max(1, Math.ceil(n / (PARTIAL_CONSTANTS.WG * PARTIAL_CONSTANTS.ITEMS)));
  const partial = e.empty([groups]);
  const workgroups = grid1d(groups, 1, e.ctx.limits.maxComputeWorkgroupsPerDimension);
  e.run(k, { bindings: { ...bindings, partial }, uniforms: uniforms(groups), workgroups });
  return partial;
}

/** Reduces `partial` to a [1] tensor by applying `pass` (one partialPass) until one value is left,
 *  releasing each intermediate. */
export function reduceToScalar(partial: Tensor, pass: (x: Tensor) => Tensor): Tensor {
  while (partial.size > 1) {
    const next = pass(partial);
    partial.release();
    partial = next;
  }
  return partial;
}

const sumPass = (e: Engine, x: Tensor) => partialPass(e, sumPartialKernel, { x }, x.size, (groups) => ({ n: x.size, groups }));
const finish = (e: Engine, partial: Tensor) => reduceToScalar(partial, (p) => sumPass(e, p));

/** Σ x, as a [1] tensor. */
export function sum(e: Engine, x: Tensor): Tensor {
  return finish(e, sumPass(e, x));
}

/** Σ x·y, as a [1] tensor. */
export function dot(e: Engine, x: Tensor, y: Tensor): Tensor {
  if (x.size !== y.size) throw new Error(`dot: sizes differ, ${shapeString(x.shape)} vs ${shapeString(y.shape)}`);
  return finish(e, partialPass(e, dotPartialKernel, { x, y }, x.size, (groups) => ({ n: x.size, groups })));
}

/** Σ x², as a [1] tensor. */
export function sumOfSquares(e: Engine, x: Tensor): Tensor {
  return dot(e, x, x);
}
