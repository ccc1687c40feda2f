// Convolutions on subgroups (shaders/conv2dSubgroup.wgsl), the fast path on CPU adapters (the 'cpu' profile's
// first choices): conv3x3Subgroup and convKxKSubgroup (one output channel per lane, the input window shared
// by subgroupShuffle), convNarrowSubgroup (≤ 4 output channels, one output row per lane), and
// convKxKSubgroupBackwardWeight. conv2d.ts's kernel tables decide when they run and pad the input
// (padInput); this module packs the taps and runs the kernels.
import type { Engine } from '../runtime/engine.ts';
import type { GpuContext } from '../runtime/device.ts';
import { type KernelSpec, kernel, kernelVariants, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/conv2dSubgroup.wgsl?raw';
import epilogueWgsl from '../../shaders/epilogue.wgsl?raw';
import laneLoadsWgsl from '../../shaders/laneLoads.wgsl?raw';
import { type Activation, NO_EPILOGUE, epilogueDefines, slopeOf, withBias } from './epilogue.ts';

/** Output tile of one conv3x3Subgroup workgroup: one channel per lane × `rows` × 8 columns; 4 rows with 8
 *  lanes, 3 with 4 (its input window, 3·(rows + 2) vec4, must fit 4 loads a lane: see conv2dSubgroup.wgsl). */
export function subgroupTile(lanes: Lanes): { rows: number; cols: number } {
  return { rows: lanes >= 8 ? 4 : 3, cols: 8 };
}

const u32 = 'u32' as const;
export const TapPackParams = uniformStruct('TapPackParams', {
  rows: 'i32', cols: 'i32', transposed: 'i32', flipped: 'i32', srcKH: 'i32', srcKW: 'i32', phaseRow: 'i32', phaseCol: 'i32', phaseStep: 'i32',
});
/** The kernels' parameters; the output grid (Hc … outCol0) is convKxKSubgroup's (conv3x3Subgroup writes
 *  all of y), the batch size N convKxKSubgroupBackwardWeight's (it sums over the batch). */
export const SubgroupConvParams = uniformStruct('SubgroupConvParams', {
  N: u32, Cx: u32, Hp: u32, Wp4: u32, Cy: u32, Hy: u32, Wy: u32, Hc: u32, Wc: u32, outStride: u32, outRow0: u32, outCol0: u32, slope: 'f32',
});
const module = shaderModule('conv2dSubgroup', source, [SubgroupConvParams, TapPackParams], [epilogueWgsl, laneLoadsWgsl]);

export type Lanes = 4 | 8;
type KernelSet = { pack: KernelSpec; conv: KernelSpec; convBias: KernelSpec };
/** The packer and conv kernel (without and with bias) of one family member for these override constants. */
const kernelSet = kernelVariants((pack: string, conv: string, taps: string, constants: Record<string, number>): KernelSet => ({
  pack: kernel(module, { entryPoint: pack, bindings: ['w', 'packedTaps'], uniforms: TapPackParams, constants, defines: NO_EPILOGUE }),
  conv: kernel(module, { entryPoint: conv, bindings: ['xp', taps, 'y'], uniforms: SubgroupConvParams, constants }),
  convBias: kernel(module, { entryPoint: conv, bindings: ['xp', taps, 'bias', 'y'], uniforms: SubgroupConvParams, constants }),
}));
const kernelsFor = (lanes: Lanes) => kernelSet('packTapsSubgroup', 'conv3x3Subgroup', 'taps', { LANES: lanes, TILE_ROWS: subgroupTile(lanes).rows });
const kxkKernelsFor = (lanes: Lanes, KH: number, KW: number, stride: number, blocks = 1) =>
  kernelSet('packTapsRows', 'convKxKSubgroup', 'rowTaps', { LANES: lanes, KH, KW, STRIDE: stride, KXK_BLOCKS: blocks });
const backwardWeightKernel = kernelVariants((lanes: Lanes, KH: number, KW: number, stride: number): KernelSpec =>
  kernel(module, {
    entryPoint: 'convKxKSubgroupBackwardWeight', bindings: ['xp', 'dyp', 'dw'], uniforms: SubgroupConvParams, constants: { LANES: lanes, KH, KW, STRIDE: stride }, defines: NO_EPILOGUE,
  }),
);

/** Lanes (output channels per workgroup) conv3x3Subgroup uses on this device: 8 where every subgroup has at
 *  least 8 invocations (lavapipe with AVX2), 4 where at least 4 (SwiftShader), else 0 (no subgroups), so
 *  that a workgroup is one subgroup. */
export function subgroupLanes(ctx: GpuContext): 0 | Lanes {
  if (!ctx.features.has('subgroups')) return 0;
  return ctx.subgroupSize.min >= 8 ? 8 : ctx.subgroupSize.min >= 4 ? 4 : 0;
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

/** The padded input conv3x3Subgroup on `lanes` reads for an output of Hy × Wy: rows and columns up to what
 *  the last tiles read, so its inner loop needs no bounds tests. */
export function subgroupPaddedSize(Hy: number, Wy: number, lanes: Lanes): [number, number] {
  const { rows, cols } = subgroupTile(lanes);
  return [Math.ceil(Hy / rows) * rows + 2, Math.ceil(Wy / cols) * cols + 4];
}

/** w [Cy, Cx, 3, 3] ([Cx, Cy, 3, 3] when `transposed`; rotated by 180° when `flipped`) in the lane layout:
 *  [ceil(Cy / lanes), Cx, lanes, 12] floats; `want` lanes instead of subgroupLanes()'s (tests run the 4-lane
 *  variant on 8-lane subgroups). */
export function packTapsSubgroup(e: Engine, w: Tensor, Cx: number, Cy: number, layout: { transposed: boolean; flipped: boolean }, want?: Lanes): Tensor {
  const lanes = lanesOf(e, want);
  const blocks = Math.ceil(Cy / lanes);
  const taps = e.empty([blocks * Cx * lanes * 12]);
  const uniforms = { rows: Cx, cols: Cy, transposed: +layout.transposed, flipped: +layout.flipped, srcKH: 3, srcKW: 3, phaseRow: 0, phaseCol: 0, phaseStep: 0 };
  e.run(kernelsFor(lanes).pack, { bindings: { w, packedTaps: taps }, uniforms, workgroups: [1, Cx, blocks] });
  return taps;
}

/** y [N, Cy, Hy, Wy] = act(bias + Σ taps · xp) over xp [N, Cx, Hp, Wp] from subgroupPaddedSize(Hy, Wy). */
export function conv3x3Subgroup(e: Engine, xp: Tensor, taps: Tensor, outShape: Shape, bias?: Tensor, activation: Activation = 'none', want?: Lanes): Tensor {
  const [N, Cy, Hy, Wy] = outShape;
  const [, Cx, Hp, Wp] = xp.shape;
  const lanes = lanesOf(e, want);
  const [wantH, wantW] = subgroupPaddedSize(Hy, Wy, lanes);
  if (Hp !== wantH || Wp !== wantW) throw new Error(`conv3x3Subgroup: padded input ${Hp}×${Wp} must be ${wantH}×${wantW} for a ${Hy}×${Wy} output on ${lanes} lanes`);
  if (taps.size !== Math.ceil(Cy / lanes) * Cx * lanes * 12) throw new Error(`conv3x3Subgroup: taps of ${taps.size} floats are not packed for ${Cx} → ${Cy} channels on ${lanes} lanes`);
  const tile = subgroupTile(lanes);
  const workgroups: [number, number, number] = [(Wp - 4) / tile.cols, (Hp - 2) / tile.rows, N * Math.ceil(Cy / lanes)];
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...workgroups) > maxDim) {
    throw new Error(`conv3x3Subgroup: output ${outShape.join('×')} needs ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension`);
  }
  const y = e.empty(outShape);
  const uniforms = { N, Cx, Hp, Wp4: Wp / 4, Cy, Hy, Wy, Hc: Hy, Wc: Wy, outStride: 1, outRow0: 0, outCol0: 0, slope: slopeOf(activation) };
  const k = kernelsFor(lanes);
  e.run(bias ? k.convBias : k.conv, { bindings: withBias({ xp, taps, y }, bias), uniforms, workgroups, defines: epilogueDefines(bias, activation) });
  return y;
}

// ---- convKxKSubgroup

/** Output tile of one convKxKSubgroup workgroup: kxkBlocks() channels per lane × 1 row × 16 columns. */
export const KXK_TILE_COLS = 16;

/** Channel blocks (channels per lane) of a convKxKSubgroup workgroup: up to 4 for kernels at most 3 wide,
 *  whose window row (16·stride + KW − 1 columns) feeds only 16·KW multiply-adds per channel, so that its loads
 *  and shuffles serve more channels; 1 for wider kernels. Measured on lavapipe (8 lanes, A/B interleaved):
 *  4 blocks 1.2–1.5× 1 block for 3 × 3 stride 2 and the 2 × 2 and 1 × 1 phases of a stride-2 transposed
 *  3 × 3; for 9 × 9, 0.9×. */
export function kxkBlocks(KW: number, Cy: number, lanes: number): number {
  return KW <= 3 ? Math.min(4, Math.ceil(Cy / lanes)) : 1;
}

/** convKxKSubgroup's dispatch for an Hc × Wc output grid of Cy channels over a batch of N. */
export function kxkWorkgroups(N: number, Cy: number, Hc: number, Wc: number, KW: number, lanes: number): [number, number, number] {
  return [Math.ceil(Wc / KXK_TILE_COLS), Hc, N * Math.ceil(Math.ceil(Cy / lanes) / kxkBlocks(KW, Cy, lanes))];
}

/** The kernel sizes and strides convKxKSubgroup serves: each side 1 … 9, stride 1 or 2. */
export function kxkSubgroupFits(KH: number, KW: number, stride: number): boolean {
  const side = (k: number) => Number.isInteger(k) && k >= 1 && k <= 9;
  return side(KH) && side(KW) && (stride === 1 || stride === 2);
}

/** The padded input convKxKSubgroup reads for an output grid of Hc × Wc: the rows and columns its tiles read. */
export function kxkPaddedSize(Hc: number, Wc: number, KH: number, KW: number, stride: number): [number, number] {
  const colTiles = Math.ceil(Wc / KXK_TILE_COLS);
  const windowVecs = Math.ceil((KXK_TILE_COLS * stride + KW - 1) / 4);
  return [(Hc - 1) * stride + KH, 4 * ((colTiles - 1) * 4 * stride + windowVecs)];
}

/** Where w's taps come from (TapPackParams): plain, or — for a phase of a stride-`step` transposed
 *  convolution — rows phaseRow + step·(KH − 1 − kh) of a srcKH × srcKW kernel (columns alike). */
export interface TapSource {
  transposed: boolean;
  flipped: boolean;
  phase?: { row: number; col: number; step: number };
}

/** w [Cy, Cx, srcKH, srcKW] (or [Cx, Cy, …] when transposed) as rowTaps for a KH × KW kernel:
 *  [ceil(Cy / lanes), Cx, KH, lanes, 4·ceil(KW / 4)] floats. */
export function packTapsRows(e: Engine, w: Tensor, Cx: number, Cy: number, KH: number, KW: number, src: TapSource, want?: Lanes): Tensor {
  const lanes = lanesOf(e, want);
  const blocks = Math.ceil(Cy / lanes);
  const taps = e.empty([blocks * Cx * KH * lanes * 4 * Math.ceil(KW / 4)]);
  const [srcKH, srcKW] = w.shape.slice(2);
  const uniforms = {
    rows: Cx, cols: Cy, transposed: +src.transposed, flipped: +src.flipped, srcKH, srcKW,
    phaseRow: src.phase?.row ?? 0, phaseCol: src.phase?.col ?? 0, phaseStep: src.phase?.step ?? 0,
  };
  e.run(kxkKernelsFor(lanes, KH, KW, 1).pack, { bindings: { w, packedTaps: taps }, uniforms, workgroups: [KH, Cx, blocks] });
  return taps;
}

/** Where the output grid of convKxKSubgroup lies in y: rows outRow0 + outStride·i, columns outCol0 +
 *  outStride·j, for i < Hc, j < Wc. The whole of y by default. */
export interface OutputGrid {
  Hc: number;
  Wc: number;
  outStride: number;
  outRow0: number;
  outCol0: number;
}

/** act(bias + the KH × KW correlation at `stride` of xp [N, Cx, Hp, Wp] (kxkPaddedSize of the grid) with
 *  rowTaps (packTapsRows)), written to the output grid of y [N, Cy, Hy, Wy] (a new tensor unless `into`). */
export function convKxKSubgroup(
  e: Engine, xp: Tensor, rowTaps: Tensor, outShape: Shape, KH: number, KW: number, stride: number,
  { bias, activation = 'none', lanes: want, grid, into }: { bias?: Tensor; activation?: Activation; lanes?: Lanes; grid?: OutputGrid; into?: Tensor } = {},
): Tensor {
  const [N, Cy, Hy, Wy] = outShape;
  const [, Cx, Hp, Wp] = xp.shape;
  const g = grid ?? { Hc: Hy, Wc: Wy, outStride: 1, outRow0: 0, outCol0: 0 };
  if (!kxkSubgroupFits(KH, KW, stride)) throw new Error(`convKxKSubgroup: kernel ${KH}×${KW} at stride ${stride} is not served (sides ≤ 9, stride 1 or 2)`);
  const [wantH, wantW] = kxkPaddedSize(g.Hc, g.Wc, KH, KW, stride);
  if (Hp !== wantH || Wp !== wantW) throw new Error(`convKxKSubgroup: padded input ${Hp}×${Wp} must be ${wantH}×${wantW} for a ${g.Hc}×${g.Wc} output grid`);
  const lanes = lanesOf(e, want);
  if (rowTaps.size !== Math.ceil(Cy / lanes) * Cx * KH * lanes * 4 * Math.ceil(KW / 4)) {
    throw new Error(`convKxKSubgroup: rowTaps of ${rowTaps.size} floats are not packed for ${Cx} → ${Cy} channels, ${KH}×${KW}, on ${lanes} lanes`);
  }
  const workgroups = kxkWorkgroups(N, Cy, g.Hc, g.Wc, KW, lanes);
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...workgroups) > maxDim) {
    throw new Error(`convKxKSubgroup: output ${outShape.join('×')} needs ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension`);
  }
  const y = into ?? e.empty(outShape);
  const uniforms = { N, Cx, Hp, Wp4: Wp / 4, Cy, Hy, Wy, ...g, slope: slopeOf(activation) };
  const k = kxkKernelsFor(lanes, KH, KW, stride, kxkBlocks(KW, Cy, lanes));
  e.run(bias ? k.convBias : k.conv, { bindings: withBias({ xp, rowTaps, y }, bias), uniforms, workgroups, defines: epilogueDefines(bias, activation) });
  return y;
}

// ---- convNarrowSubgroup

/** Output tile of one convNarrowSubgroup lane: all channels × 1 row × 8 columns. */
export const NARROW_TILE_COLS = 8;
/** The most output channels convNarrowSubgroup computes. */
export const NARROW_MAX_CHANNELS = 4;

/** The padded input convNarrowSubgroup reads for an Hy × Wy output: the rows and columns its tiles read. */
export function narrowPaddedSize(Hy: number, Wy: number, KH: number, KW: number, stride: number): [number, number] {
  const colTiles = Math.ceil(Wy / NARROW_TILE_COLS);
  const windowVecs = Math.ceil((NARROW_TILE_COLS * stride + KW - 1) / 4);
  return [(Hy - 1) * stride + KH, 4 * ((colTiles - 1) * 2 * stride + windowVecs)];
}

const narrowKernelsFor = kernelVariants((lanes: Lanes, KH: number, KW: number, stride: number, channels: number) => {
  const constants = { LANES: lanes, KH, KW, STRIDE: stride, COUT: channels };
  return {
    conv: kernel(module, { entryPoint: 'convNarrowSubgroup', bindings: ['xp', 'rowTaps', 'y'], uniforms: SubgroupConvParams, constants }),
    convBias: kernel(module, { entryPoint: 'convNarrowSubgroup', bindings: ['xp', 'rowTaps', 'bias', 'y'], uniforms: SubgroupConvParams, constants }),
  };
});

/** y [N, Cy, Hy, Wy] = act(bias + the KH × KW correlation at `stride` of xp [N, Cx, Hp, Wp] (narrowPaddedSize)
 *  with rowTaps packed for 4 lanes (packTapsRows(…, 4))), for Cy ≤ 4 output channels: one output row per
 *  lane, the taps shared. */
export function convNarrowSubgroup(
  e: Engine, xp: Tensor, rowTaps: Tensor, outShape: Shape, KH: number, KW: number, stride: number,
  { bias, activation = 'none', lanes: want }: { bias?: Tensor; activation?: Activation; lanes?: Lanes } = {},
): Tensor {
  const op = 'convNarrowSubgroup';
  const [N, Cy, Hy, Wy] = outShape;
  const [, Cx, Hp, Wp] = xp.shape;
  if (Cy > NARROW_MAX_CHANNELS) throw new Error(`${op}: ${Cy} output channels, more than ${NARROW_MAX_CHANNELS}`);
  if (!kxkSubgroupFits(KH, KW, stride)) throw new Error(`${op}: kernel ${KH}×${KW} at stride ${stride} is not served (sides ≤ 9, stride 1 or 2)`);
  const [wantH, wantW] = narrowPaddedSize(Hy, Wy, KH, KW, stride);
  if (Hp !== wantH || Wp !== wantW) throw new Error(`${op}: padded input ${Hp}×${Wp} must be ${wantH}×${wantW} for a ${Hy}×${Wy} output`);
  if (rowTaps.size !== Cx * KH * 4 * 4 * Math.ceil(KW / 4)) throw new Error(`${op}: rowTaps of ${rowTaps.size} floats are not packed for ${Cx} → ${Cy} channels, ${KH}×${KW}, on 4 lanes`);
  const lanes = lanesOf(e, want);
  const workgroups: [number, number, number] = [Math.ceil(Wy / NARROW_TILE_COLS), Math.ceil(Hy / lanes), N];
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...workgroups) > maxDim) throw new Error(`${op}: output ${outShape.join('×')} needs ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension`);
  const y = e.empty(outShape);
  const uniforms = { N, Cx, Hp, Wp4: Wp / 4, Cy, Hy, Wy, Hc: Hy, Wc: Wy, outStride: 1, outRow0: 0, outCol0: 0, slope: slopeOf(activation) };
  const k = narrowKernelsFor(lanes, KH, KW, stride, Cy);
  e.run(bias ? k.convBias : k.conv, { bindings: withBias({ xp, rowTaps, y }, bias), uniforms, workgroups, defines: epilogueDefines(bias, activation) });
  return y;
}

/** The padded width of dy convKxKSubgroupBackwardWeight reads: whole 16-column chunks. */
export const kxkGradientWidth = (Wy: number) => Math.ceil(Wy / KXK_TILE_COLS) * KXK_TILE_COLS;

/** dw [Cy, Cx, KH, KW] = Σ_{n,i,j} dy[n, o, i, j] · xp[n, c, i·stride + kh, j·stride + kw]: the weight gradient
 *  of convKxKSubgroup's correlation, from xp [N, Cx, Hp, Wp] (kxkPaddedSize of Hy × Wy) and dyp [N, Cy, Hy,
 *  kxkGradientWidth(Wy)] (zeros past Wy). */
export function convKxKSubgroupBackwardWeight(e: Engine, xp: Tensor, dyp: Tensor, dyShape: Shape, KH: number, KW: number, stride: number, want?: Lanes): Tensor {
  const op = 'convKxKSubgroupBackwardWeight';
  const [N, Cy, Hy, Wy] = dyShape;
  const [, Cx, Hp, Wp] = xp.shape;
  if (!kxkSubgroupFits(KH, KW, stride)) throw new Error(`${op}: kernel ${KH}×${KW} at stride ${stride} is not served (sides ≤ 9, stride 1 or 2)`);
  const [wantH, wantW] = kxkPaddedSize(Hy, Wy, KH, KW, stride);
  if (xp.shape[0] !== N || Hp !== wantH || Wp !== wantW) throw new Error(`${op}: padded input ${xp.shape.join('×')} must be ${N}×${Cx}×${wantH}×${wantW} for a ${Hy}×${Wy} output`);
  const Wd = kxkGradientWidth(Wy);
  if (dyp.shape.join() !== [N, Cy, Hy, Wd].join()) throw new Error(`${op}: padded output gradient ${dyp.shape.join('×')} must be ${[N, Cy, Hy, Wd].join('×')}`);
  const lanes = lanesOf(e, want);
  const rows = Math.min(KH, 3);
  const workgroups: [number, number, number] = [Cx, Math.ceil(KH / rows), Math.ceil(Cy / lanes)];
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(...workgroups) > maxDim) throw new Error(`${op}: ${Cx} → ${Cy} channels need ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension`);
  const dw = e.empty([Cy, Cx, KH, KW]);
  const uniforms = { N, Cx, Hp, Wp4: Wp / 4, Cy, Hy, Wy: Wd, Hc: 0, Wc: 0, outStride: 0, outRow0: 0, outCol0: 0, slope: 0 };
  e.run(backwardWeightKernel(lanes, KH, KW, stride), { bindings: { xp, dyp, dw }, uniforms, workgroups });
  return dw;
}
