// 3×3 stride-1 correlation on subgroups (shaders/conv2dSubgroup.wgsl): one output channel per lane, the input
// window shared by subgroupShuffle — the fast path on CPU adapters. conv2d.ts decides when to use it and
// pads the input (padInput); this module packs the taps and runs the kernel.
import type { Engine } from '../runtime/engine.ts';
import type { GpuContext } from '../runtime/device.ts';
import { kernel, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/conv2dSubgroup.wgsl?raw';

/** Output tile of one workgroup: 8 channels (one per lane) × 3 rows × 8 columns. */
export const SUBGROUP_TILE = { channels: 8, rows: 3, cols: 8 } as const;

const u32 = 'u32' as const;
export const Conv3x3SubgroupParams = uniformStruct('Conv3x3SubgroupParams', { Cx: u32, Hp: u32, Wp4: u32, Cy: u32, Hy: u32, Wy: u32, slope: 'f32' });
export const TapPackParams = uniformStruct('TapPackParams', { rows: 'i32', cols: 'i32', transposed: 'i32', flipped: 'i32' });
const module = shaderModule('conv2dSubgroup', source, [Conv3x3SubgroupParams, TapPackParams]);

const NO_EPILOGUE = { BIAS: false, RELU: false, LEAKY_RELU: false };
const packKernel = kernel(module, { entryPoint: 'packTapsSubgroup', bindings: ['w', 'packedTaps'], uniforms: TapPackParams, defines: NO_EPILOGUE });
const convKernel = kernel(module, { entryPoint: 'conv3x3Subgroup', bindings: ['xp', 'taps', 'y'], uniforms: Conv3x3SubgroupParams });
const convBiasKernel = kernel(module, { entryPoint: 'conv3x3Subgroup', bindings: ['xp', 'taps', 'bias', 'y'], uniforms: Conv3x3SubgroupParams });

/** Whether the device can run conv3x3Subgroup: the 'subgroups' feature with subgroups of ≥ 8 invocations,
 *  so the 8 invocations of a workgroup are one subgroup. */
export function subgroupConvSupported(ctx: GpuContext): boolean {
  return ctx.features.has('subgroups') && ctx.subgroupSize.min >= SUBGROUP_TILE.channels;
}

/** The padded input conv3x3Subgroup reads for an output of Hy × Wy: rows and columns up to what the last
 *  tiles read, so its inner loop needs no bounds tests. */
export function subgroupPaddedSize(Hy: number, Wy: number): [number, number] {
  return [Math.ceil(Hy / SUBGROUP_TILE.rows) * SUBGROUP_TILE.rows + 2, Math.ceil(Wy / SUBGROUP_TILE.cols) * SUBGROUP_TILE.cols + 4];
}

/** w [Cy, Cx, 3, 3] ([Cx, Cy, 3, 3] when `transposed`; rotated by 180° when `flipped`) in the lane layout:
 *  [ceil(Cy / 8), Cx, 8, 12] floats. */
export function packTapsSubgroup(e: Engine, w: Tensor, Cx: number, Cy: number, layout: { transposed: boolean; flipped: boolean }): Tensor {
  const blocks = Math.ceil(Cy / SUBGROUP_TILE.channels);
  const taps = e.empty([blocks * Cx * SUBGROUP_TILE.channels * 12]);
  const uniforms = { rows: Cx, cols: Cy, transposed: +layout.transposed, flipped: +layout.flipped };
  e.run(packKernel, { bindings: { w, packedTaps: taps }, uniforms, workgroups: [1, Cx, blocks] });
  return taps;
}

export type SubgroupActivation = 'none' | 'relu' | { leakyRelu: number };

/** y [N, Cy, Hy, Wy] = act(bias + Σ taps · xp) over xp [N, Cx, Hp, Wp] from subgroupPaddedSize(Hy, Wy). */
export function conv3x3Subgroup(e: Engine, xp: Tensor, taps: Tensor, outShape: Shape, bias?: Tensor, activation: SubgroupActivation = 'none'): Tensor {
  const [N, Cy, Hy, Wy] = outShape;
  const [, Cx, Hp, Wp] = xp.shape;
  const [wantH, wantW] = subgroupPaddedSize(Hy, Wy);
  if (Hp !== wantH || Wp !== wantW) throw new Error(`conv3x3Subgroup: padded input ${Hp}×${Wp} must be ${wantH}×${wantW} for a ${Hy}×${Wy} output`);
  const workgroups: [number, number, number] = [(Wp - 4) / SUBGROUP_TILE.cols, (Hp - 2) / SUBGROUP_TILE.rows, N * Math.ceil(Cy / SUBGROUP_TILE.channels)];
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...workgroups) > maxDim) {
    throw new Error(`conv3x3Subgroup: output ${outShape.join('×')} needs ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension; use impl 'blocked'`);
  }
  const y = e.empty(outShape);
  const uniforms = { Cx, Hp, Wp4: Wp / 4, Cy, Hy, Wy, slope: typeof activation === 'object' ? activation.leakyRelu : 0 };
  const defines = { BIAS: !!bias, RELU: activation === 'relu', LEAKY_RELU: typeof activation === 'object' };
  e.run(bias ? convBiasKernel : convKernel, { bindings: bias ? { xp, taps, bias, y } : { xp, taps, y }, uniforms, workgroups, defines });
  return y;
}
