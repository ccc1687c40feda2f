// Matrix products on subgroups (shaders/matmulSubgroup.wgsl), for CPU adapters: Y[n] = act(A·B[n] + bias),
// which conv2d.ts runs 1×1 stride-1 convolutions on and gram.ts the Gram backward, and G[n] = B[n]·B[n]ᵀ / norm,
// gram.ts's Gram matrix.
import type { Engine } from '../runtime/engine.ts';
import { type KernelSpec, kernel, kernelVariants, shaderModule } from '../runtime/kernel.ts';
import type { Shape, Tensor } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/matmulSubgroup.wgsl?raw';
import epilogueWgsl from '../../shaders/epilogue.wgsl?raw';
import laneLoadsWgsl from '../../shaders/laneLoads.wgsl?raw';
import type { Lanes } from './conv2dSubgroup.ts';
import { type Activation, NO_EPILOGUE, epilogueDefines, slopeOf, withBias } from './epilogue.ts';

export const MatmulParams = uniformStruct('MatmulParams', { M: 'u32', K: 'u32', P: 'u32', aStride: 'u32', slope: 'f32', norm: 'f32' });
const module = shaderModule('matmulSubgroup', source, [MatmulParams], [epilogueWgsl, laneLoadsWgsl]);
const PACK_WG = 64;
const packRowsKernel = kernel(module, { entryPoint: 'packRows', bindings: ['w', 'rows'], uniforms: MatmulParams, defines: NO_EPILOGUE });
const symmetrizeKernel = kernel(module, { entryPoint: 'symmetrize', bindings: ['dG', 'rows'], uniforms: MatmulParams, defines: NO_EPILOGUE });
const matmulKernel = kernelVariants((lanes: Lanes, bias: boolean): KernelSpec =>
  kernel(module, { entryPoint: 'matmulSubgroup', bindings: bias ? ['A', 'B', 'bias', 'Y'] : ['A', 'B', 'Y'], uniforms: MatmulParams, constants: { LANES: lanes } }),
);
const gramKernel = kernelVariants((lanes: Lanes): KernelSpec =>
  kernel(module, { entryPoint: 'gramSubgroup', bindings: ['B', 'G'], uniforms: MatmulParams, constants: { LANES: lanes }, defines: NO_EPILOGUE }),
);

/** Columns of one matmulSubgroup workgroup. */
export const MATMUL_TILE_COLS = 16;

/** w [M, K] (any shape of M·K values) as matmulSubgroup's A: [M, 4·ceil(K / 4)], zero past K. */
export function packRows(e: Engine, w: Tensor, M: number, K: number): Tensor {
  if (w.size !== M * K) throw new Error(`packRows: ${w.size} values are not an ${M} × ${K} matrix`);
  const Kp4 = Math.ceil(K / 4);
  const rows = e.empty([M, 4 * Kp4]);
  e.run(packRowsKernel, { bindings: { w, rows }, uniforms: { M, K, P: 0, aStride: 0, slope: 0, norm: 1 }, workgroups: [Math.ceil(Kp4 / PACK_WG), M] });
  return rows;
}

/** Y [N, M, P] (or `outShape` of as many values) = act(A·B[n] + bias) for B [N, K, P] (any shape of N·K·P
 *  values, P a multiple of 4) and A from packRows: [M, Kp] shared by every n, or [N, M, Kp] (`perItem`). */
export function matmulSubgroup(
  e: Engine, A: Tensor, B: Tensor, dims: { N: number; M: number; K: number; P: number },
  { bias, activation = 'none', lanes, perItem = false, outShape = [dims.N, dims.M, dims.P] }: { bias?: Tensor; activation?: Activation; lanes: Lanes; perItem?: boolean; outShape?: Shape },
): Tensor {
  const { N, M, K, P } = dims;
  const Kp4 = Math.ceil(K / 4);
  if (P % 4 !== 0) throw new Error(`matmulSubgroup: ${P} columns are not a multiple of 4`);
  if (A.size !== (perItem ? N : 1) * M * 4 * Kp4) throw new Error(`matmulSubgroup: A of ${A.size} values is not ${perItem ? `${N} × ` : ''}${M} × ${4 * Kp4} (packRows)`);
  if (B.size !== N * K * P) throw new Error(`matmulSubgroup: B of ${B.size} values is not ${N} × ${K} × ${P}`);
  const workgroups: [number, number, number] = [Math.ceil(P / MATMUL_TILE_COLS), Math.ceil(M / lanes), N];
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...workgroups) > maxDim) throw new Error(`matmulSubgroup: ${M} × ${P} outputs need ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension`);
  if (outShape.reduce((a, b) => a * b, 1) !== N * M * P) throw new Error(`matmulSubgroup: output shape [${outShape.join(', ')}] does not hold ${N} × ${M} × ${P} values`);
  const Y = e.empty(outShape);
  const uniforms = { M, K, P, aStride: perItem ? M * Kp4 : 0, slope: slopeOf(activation), norm: 1 };
  e.run(matmulKernel(lanes, !!bias), { bindings: withBias({ A, B, Y }, bias), uniforms, workgroups, defines: epilogueDefines(bias, activation) });
  return Y;
}

/** S [N, M, 4·ceil(M / 4)] = (dG[n] + dG[n]ᵀ) / norm for dG [N, M, M], in packRows' layout (A of matmulSubgroup). */
export function symmetrizeRows(e: Engine, dG: Tensor, norm: number): Tensor {
  const [N, M] = dG.shape;
  const Mp4 = Math.ceil(M / 4);
  const rows = e.empty([N, M, 4 * Mp4]);
  e.run(symmetrizeKernel, { bindings: { dG, rows }, uniforms: { M, K: M, P: 0, aStride: 0, slope: 0, norm }, workgroups: [Math.ceil(Mp4 / PACK_WG), M, N] });
  return rows;
}

/** G [N, M, M] = B[n]·B[n]ᵀ / norm for B [N, M, P] (any shape of N·M·P values, P a multiple of 4). */
export function gramSubgroup(e: Engine, B: Tensor, dims: { N: number; M: number; P: number }, norm: number, lanes: Lanes): Tensor {
  const { N, M, P } = dims;
  if (P % 4 !== 0) throw new Error(`gramSubgroup: ${P} columns are not a multiple of 4`);
  if (B.size !== N * M * P) throw new Error(`gramSubgroup: B of ${B.size} values is not ${N} × ${M} × ${P}`);
  const G = e.empty([N, M, M]);
  e.run(gramKernel(lanes), { bindings: { B, G }, uniforms: { M, K: P, P, aStride: 0, slope: 0, norm }, workgroups: [Math.ceil(M / MATMUL_TILE_COLS), Math.ceil(M / lanes), N] });
  return G;
}
