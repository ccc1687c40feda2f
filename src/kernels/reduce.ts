// Reductions to a scalar: Σ x, Σ x·y, Σ|x| and max|x| (shaders/reduce.wgsl). Results stay on the GPU as [1]
// tensors; read them only when control flow needs the number.
import type { Engine } from '../runtime/engine.ts';
import { type KernelSpec, grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/reduce.wgsl?raw';
import workgroupReduceWgsl from '../../shaders/workgroupReduce.wgsl?raw';

const WG = 256;
const ITEMS = 8;
/** The first pass's override constants (WG invocations × ITEMS elements per workgroup): kernels that fuse a first
 *  pass into other work (src/kernels/lbfgs.ts) use them, dispatch reduceGroups(n) workgroups and finish with
 *  sumPartials. */
export const REDUCE_CONSTANTS = { WG, ITEMS } as const;
export const ReduceParams = uniformStruct('ReduceParams', { n: 'u32', groups: 'u32' });
const module = shaderModule('reduce', source, [ReduceParams], [workgroupReduceWgsl]);
const constants = { WG, ITEMS };
const SUM = { DOT: false, ABS: false, ABS_MAX: false };
const partialKernel = (name: string, bindings: string[], op: Partial<typeof SUM>) =>
  kernel(module, { entryPoint: 'partialReduce', name, bindings: [...bindings, 'partial'], uniforms: ReduceParams, constants, defines: { ...SUM, ...op } });

export const sumPartialKernel = partialKernel('sumPartial', ['x'], {});
export const dotPartialKernel = partialKernel('dotPartial', ['x', 'y'], { DOT: true });
export const sumAbsPartialKernel = partialKernel('sumAbsPartial', ['x'], { ABS: true });
export const maxAbsPartialKernel = partialKernel('maxAbsPartial', ['x'], { ABS_MAX: true });

/** One pass of a partial-reduction kernel over the `n` elements of its inputs: one value per workgroup of
 *  WG·ITEMS elements, in a new tensor. */
function partialPass(e: Engine, k: KernelSpec<typeof ReduceParams.fields>, inputs: Record<string, Tensor>, n: number): Tensor {
  const groups = reduceGroups(n);
  const partial = e.empty([groups]);
  const workgroups = grid1d(groups, 1, e.ctx.limits.maxComputeWorkgroupsPerDimension);
  e.run(k, { bindings: { ...inputs, partial }, uniforms: { n, groups }, workgroups });
  return partial;
}

/** Workgroups of a first pass over n elements. */
export function reduceGroups(n: number): number {
  return Math.max(1, Math.ceil(n / (WG * ITEMS)));
}

/** The reduction of `inputs` (n elements) to a [1] tensor: `first` over them, then `again` over the partials
 *  until one value is left. */
function reduceToScalar(e: Engine, first: KernelSpec<typeof ReduceParams.fields>, again: KernelSpec<typeof ReduceParams.fields>, inputs: Record<string, Tensor>, n: number): Tensor {
  return reducePartials(e, partialPass(e, first, inputs, n), again);
}

/** Σ of a first pass's partial sums (one per workgroup) as a [1] tensor, by the passes reduceToScalar runs after
 *  its first: the same order, so the same bits. Takes ownership of `partial`. */
export function sumPartials(e: Engine, partial: Tensor): Tensor {
  return reducePartials(e, partial, sumPartialKernel);
}

function reducePartials(e: Engine, partial: Tensor, again: KernelSpec<typeof ReduceParams.fields>): Tensor {
  while (partial.size > 1) {
    const next = partialPass(e, again, { x: partial }, partial.size);
    partial.release();
    partial = next;
  }
  return partial;
}

/** Σ x, as a [1] tensor. */
export function sum(e: Engine, x: Tensor): Tensor {
  return reduceToScalar(e, sumPartialKernel, sumPartialKernel, { x }, x.size);
}

/** Σ x·y, as a [1] tensor. */
export function dot(e: Engine, x: Tensor, y: Tensor): Tensor {
  if (x.size !== y.size) throw new Error(`dot: sizes differ, ${shapeString(x.shape)} vs ${shapeString(y.shape)}`);
  return reduceToScalar(e, dotPartialKernel, sumPartialKernel, { x, y }, x.size);
}

/** Σ x², as a [1] tensor. */
export function sumOfSquares(e: Engine, x: Tensor): Tensor {
  return dot(e, x, x);
}

/** Σ|x|, as a [1] tensor (torch: `flat_grad.abs().sum()`). */
export function sumAbs(e: Engine, x: Tensor): Tensor {
  return reduceToScalar(e, sumAbsPartialKernel, sumPartialKernel, { x }, x.size);
}

/** max|x| (0 for an empty x), as a [1] tensor (torch: `t.abs().max()`). */
export function maxAbs(e: Engine, x: Tensor): Tensor {
  return reduceToScalar(e, maxAbsPartialKernel, maxAbsPartialKernel, { x }, x.size);
}
