// Reductions to a scalar: sum and dot (shaders/reduce.wgsl). Results stay on the GPU as [1] tensors;
// read them only when control flow needs the number.
import type { Engine } from '../runtime/engine.ts';
import { type KernelSpec, grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/reduce.wgsl?raw';

const WG = 256;
const ITEMS = 8;
export const ReduceParams = uniformStruct('ReduceParams', { n: 'u32', groups: 'u32' });
const module = shaderModule('reduce', source, [ReduceParams]);
const constants = { WG, ITEMS };

export const sumPartialKernel = kernel(module, { entryPoint: 'sumPartial', bindings: ['x', 'partial'], uniforms: ReduceParams, constants });
export const dotPartialKernel = kernel(module, { entryPoint: 'dotPartial', bindings: ['x', 'y', 'partial'], uniforms: ReduceParams, constants });

function partialPass(e: Engine, k: KernelSpec<typeof ReduceParams.fields>, bindings: Record<string, Tensor>, n: number): Tensor {
  const groups = Math.max(1, Math.ceil(n / (WG * ITEMS)));
  const partial = e.empty([groups]);
  const workgroups = grid1d(groups, 1, e.ctx.limits.maxComputeWorkgroupsPerDimension);
  e.run(k, { bindings: { ...bindings, partial }, uniforms: { n, groups }, workgroups });
  return partial;
}

function finish(e: Engine, partial: Tensor): Tensor {
  while (partial.size > 1) {
    const next = partialPass(e, sumPartialKernel, { x: partial }, partial.size);
    partial.release();
    partial = next;
  }
  return partial;
}

/** Σ x, as a [1] tensor. */
export function sum(e: Engine, x: Tensor): Tensor {
  return finish(e, partialPass(e, sumPartialKernel, { x }, x.size));
}

/** Σ x·y, as a [1] tensor. */
export function dot(e: Engine, x: Tensor, y: Tensor): Tensor {
  if (x.size !== y.size) throw new Error(`dot: sizes differ, ${shapeString(x.shape)} vs ${shapeString(y.shape)}`);
  return finish(e, partialPass(e, dotPartialKernel, { x, y }, x.size));
}

/** Σ x², as a [1] tensor. */
export function sumOfSquares(e: Engine, x: Tensor): Tensor {
  return dot(e, x, x);
}
