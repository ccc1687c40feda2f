// 3×3 stride-1 correlation on subgroups (shaders/conv2dSubgroup.wgsl): one output channel per lane, the input
// window shared by subgroupShuffle — the fast path on CPU adapters. conv2d.ts decides when to use it and
// pads the input (padInput); this module packs the taps and runs the kernel.
import type { Engine } from '../runtime/engine.ts';
import type { GpuContext } from '../runtime/device.ts';
import { type KernelSpec, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/conv2dSubgroup.wgsl?raw';

/** Output tile of one workgroup: one channel per lane × 3 rows × 8 columns. */
export const SUBGROUP_TILE = { rows: 3, cols: 8 } as const;

const u32 = 'u32' as const;
export const Conv3x3SubgroupParams = uniformStruct('Conv3x3SubgroupParams', { Cx: u32, Hp: u32, Wp4: u32, Cy: u32, Hy: u32, Wy: u32, slope: 'f32' });
export const TapPackParams = uniformStruct('TapPackParams', { rows: 'i32', cols: 'i32', transposed: 'i32', flipped: 'i32' });
const module = shaderModule('conv2dSubgroup', source, [Conv3x3SubgroupParams, TapPackParams]);

const NO_EPILOGUE = { BIAS: false, RELU: false, LEAKY_RELU: false };
export type Lanes = 4 | 8;
const kernels = new Map<Lanes, { pack: KernelSpec; conv: KernelSpec; convBias: KernelSpec }>();
function kernelsFor(lanes: Lanes) {
  let k = kernels.get(lanes);
  if (!k) {
    const constants = { LANES: lanes };
    k = {
      pack: kernel(module, { entryPoint: 'packTapsSubgroup', bindings: ['w', 'packedTaps'], uniforms: TapPackParams, constants, defines: NO_EPILOGUE }),
      conv: kernel(module, { entryPoint: 'conv3x3Subgroup', bindings: ['xp', 'taps', 'y'], uniforms: Conv3x3SubgroupParams, constants }),
      convBias: kernel(module, { entryPoint: 'conv3x3Subgroup', bindings: ['xp', 'taps', 'bias', 'y'], uniforms: Conv3x3SubgroupParams, constants }),
    };
    kernels.set(lanes, k);
  }
  return k;
}

/** Lanes (output channels per workgroup) conv3x3Subgroup uses on this device: 8 where every subgroup has at
 *  least 8 invocations (lavapipe with AVX2), 4 where at least 4 (SwiftShader), else 0 (no subgroups), so
 *  that a workgroup is one subgroup. */
export function subgroupLanes(ctx: GpuContext): 0 | Lanes {
  if (!ctx.features.has('subgroups')) return 0;
  return ctx.subgroupSize.min >= 8 ? 8 : ctx.subgroupSize.min >= 4 ? 4 : 0;
}

/** The K × K kernel sizes and strides convKxKSubgroup serves. */
export function kxkSubgroupFits(K: number, stride: number): boolean {
  return Number.isInteger(K) && K >= 1 && K <= 9 && (stride === 1 || stride === 2);
}

export function subgroupConvSupported(ctx: GpuContext): boolean {
  return subgroupLanes(ctx) > 0;
}

function lanesOf(e: Engine, want?: Lanes): Lanes {
  const lanes = subgroupLanes(e.ctx);
  if (want !== undefined && lanes >= want) return want;
  if (!lanes || want !== undefined) throw new Error(`conv3x3Subgroup: this device has ${e.ctx.features.has('subgroups') ? `subgroups of only ${e.ctx.subgroupSize.min} invocations` : "no 'subgroups' feature"}; it needs subgroups of at least ${want ?? 4}`);
  return lanes;
}

/** The padded input conv3x3Subgroup reads for an output of Hy × Wy: rows and columns up to what the last
 *  tiles read, so its inner loop needs no bounds tests. */
export function subgroupPaddedSize(Hy: number, Wy: number): [number, number] {
  return [Math.ceil(Hy / SUBGROUP_TILE.rows) * SUBGROUP_TILE.rows + 2, Math.ceil(Wy / SUBGROUP_TILE.cols) * SUBGROUP_TILE.cols + 4];
}

/** w [Cy, Cx, 3, 3] ([Cx, Cy, 3, 3] when `transposed`; rotated by 180° when `flipped`) in the lane layout:
 *  [ceil(Cy / lanes), Cx, lanes, 12] floats; `want` lanes instead of subgroupLanes()'s (tests run the 4-lane
 *  variant on 8-lane subgroups). */
export function packTapsSubgroup(e: Engine, w: Tensor, Cx: number, Cy: number, layout: { transposed: boolean; flipped: boolean }, want?: Lanes): Tensor {
  const lanes = lanesOf(e, want);
  const blocks = Math.ceil(Cy / lanes);
  const taps = e.empty([blocks * Cx * lanes * 12]);
  const uniforms = { rows: Cx, cols: Cy, transposed: +layout.transposed, flipped: +layout.flipped };
  e.run(kernelsFor(lanes).pack, { bindings: { w, packedTaps: taps }, uniforms, workgroups: [1, Cx, blocks] });
  return taps;
}

export type SubgroupActivation = 'none' | 'relu' | { leakyRelu: number };

/** y [N, Cy, Hy, Wy] = act(bias + Σ taps · xp) over xp [N, Cx, Hp, Wp] from subgroupPaddedSize(Hy, Wy). */
export function conv3x3Subgroup(e: Engine, xp: Tensor, taps: Tensor, outShape: Shape, bias?: Tensor, activation: SubgroupActivation = 'none', want?: Lanes): Tensor {
  const [N, Cy, Hy, Wy] = outShape;
  const [, Cx, Hp, Wp] = xp.shape;
  const [wantH, wantW] = subgroupPaddedSize(Hy, Wy);
  if (Hp !== wantH || Wp !== wantW) throw new Error(`conv3x3Subgroup: padded input ${Hp}×${Wp} must be ${wantH}×${wantW} for a ${Hy}×${Wy} output`);
  const lanes = lanesOf(e, want);
  if (taps.size !== Math.ceil(Cy / lanes) * Cx * lanes * 12) throw new Error(`conv3x3Subgroup: taps of ${taps.size} floats are not packed for ${Cx} → ${Cy} channels on ${lanes} lanes`);
  const workgroups: [number, number, number] = [(Wp - 4) / SUBGROUP_TILE.cols, (Hp - 2) / SUBGROUP_TILE.rows, N * Math.ceil(Cy / lanes)];
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...workgroups) > maxDim) {
    throw new Error(`conv3x3Subgroup: output ${outShape.join('×')} needs ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension; use impl 'blocked'`);
  }
  const y = e.empty(outShape);
  const uniforms = { Cx, Hp, Wp4: Wp / 4, Cy, Hy, Wy, slope: typeof activation === 'object' ? activation.leakyRelu : 0 };
  const defines = { BIAS: !!bias, RELU: activation === 'relu', LEAKY_RELU: typeof activation === 'object' };
  const k = kernelsFor(lanes);
  e.run(bias ? k.convBias : k.conv, { bindings: bias ? { xp, taps, bias, y } : { xp, taps, y }, uniforms, workgroups, defines });
  return y;
}

// ---- convKxKSubgroup

/** Output tile of one convKxKSubgroup workgroup: one channel per lane × 1 row × 16 columns. */
export const KXK_TILE_COLS = 16;

const kxkKernels = new Map<string, { pack: KernelSpec; conv: KernelSpec; convBias: KernelSpec }>();
function kxkKernelsFor(lanes: Lanes, K: number, stride: number) {
  const key = `${lanes} ${K} ${stride}`;
  let k = kxkKernels.get(key);
  if (!k) {
    const constants = { LANES: lanes, K, STRIDE: stride };
    k = {
      pack: kernel(module, { entryPoint: 'packTapsRows', bindings: ['w', 'packedTaps'], uniforms: TapPackParams, constants, defines: NO_EPILOGUE }),
      conv: kernel(module, { entryPoint: 'convKxKSubgroup', bindings: ['xp', 'rowTaps', 'y'], uniforms: Conv3x3SubgroupParams, constants }),
      convBias: kernel(module, { entryPoint: 'convKxKSubgroup', bindings: ['xp', 'rowTaps', 'bias', 'y'], uniforms: Conv3x3SubgroupParams, constants }),
    };
    kxkKernels.set(key, k);
  }
  return k;
}

/** Vec4 per window row convKxKSubgroup reads: 16·stride + K − 1 columns, rounded up. */
function windowVecs(K: number, stride: number): number {
  return Math.ceil((KXK_TILE_COLS * stride + K - 1) / 4);
}

/** The padded input convKxKSubgroup reads for an output of Hy × Wy: the rows and columns its tiles read. */
export function kxkPaddedSize(Hy: number, Wy: number, K: number, stride: number): [number, number] {
  const colTiles = Math.ceil(Wy / KXK_TILE_COLS);
  return [(Hy - 1) * stride + K, 4 * ((colTiles - 1) * 4 * stride + windowVecs(K, stride))];
}

/** w [Cy, Cx, K, K] (or [Cx, Cy, K, K] when `transposed`; rotated by 180° when `flipped`) as rowTaps:
 *  [ceil(Cy / lanes), Cx, K, lanes, 4·ceil(K / 4)] floats. */
export function packTapsRows(e: Engine, w: Tensor, Cx: number, Cy: number, K: number, layout: { transposed: boolean; flipped: boolean }, want?: Lanes): Tensor {
  const lanes = lanesOf(e, want);
  const blocks = Math.ceil(Cy / lanes);
  const taps = e.empty([blocks * Cx * K * lanes * 4 * Math.ceil(K / 4)]);
  const uniforms = { rows: Cx, cols: Cy, transposed: +layout.transposed, flipped: +layout.flipped };
  e.run(kxkKernelsFor(lanes, K, 1).pack, { bindings: { w, packedTaps: taps }, uniforms, workgroups: [K, Cx, blocks] });
  return taps;
}

/** y [N, Cy, Hy, Wy] = act(bias + the K × K correlation at `stride` of xp [N, Cx, Hp, Wp] (kxkPaddedSize) with
 *  rowTaps (packTapsRows). */
export function convKxKSubgroup(e: Engine, xp: Tensor, rowTaps: Tensor, outShape: Shape, K: number, stride: number, bias?: Tensor, activation: SubgroupActivation = 'none', want?: Lanes): Tensor {
  const [N, Cy, Hy, Wy] = outShape;
  const [, Cx, Hp, Wp] = xp.shape;
  if (!kxkSubgroupFits(K, stride)) throw new Error(`convKxKSubgroup: kernel ${K}×${K} at stride ${stride} is not served (K ≤ 9, stride 1 or 2)`);
  const [wantH, wantW] = kxkPaddedSize(Hy, Wy, K, stride);
  if (Hp !== wantH || Wp !== wantW) throw new Error(`convKxKSubgroup: padded input ${Hp}×${Wp} must be ${wantH}×${wantW} for a ${Hy}×${Wy} output`);
  const lanes = lanesOf(e, want);
  if (rowTaps.size !== Math.ceil(Cy / lanes) * Cx * K * lanes * 4 * Math.ceil(K / 4)) throw new Error(`convKxKSubgroup: rowTaps of ${rowTaps.size} floats are not packed for ${Cx} → ${Cy} channels, ${K}×${K}, on ${lanes} lanes`);
  const workgroups: [number, number, number] = [Math.ceil(Wy / KXK_TILE_COLS), Hy, N * Math.ceil(Cy / lanes)];
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...workgroups) > maxDim) {
    throw new Error(`convKxKSubgroup: output ${outShape.join('×')} needs ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension; use impl 'blocked'`);
  }
  const y = e.empty(outShape);
  const uniforms = { Cx, Hp, Wp4: Wp / 4, Cy, Hy, Wy, slope: typeof activation === 'object' ? activation.leakyRelu : 0 };
  const defines = { BIAS: !!bias, RELU: activation === 'relu', LEAKY_RELU: typeof activation === 'object' };
  const k = kxkKernelsFor(lanes, K, stride);
  e.run(bias ? k.convBias : k.conv, { bindings: bias ? { xp, rowTaps, bias, y } : { xp, rowTaps, y }, uniforms, workgroups, defines });
  return y;
}
