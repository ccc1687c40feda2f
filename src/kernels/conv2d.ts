// 2-D convolution family (shaders/conv2d.wgsl, conv2dSubgroup.wgsl, matmulSubgroup.wgsl): conv2d forward with
// fused bias and activation, its input, weight and bias gradients, and ConvTranspose2d with its gradients, in
// PyTorch's NCHW / weight layouts. Every pass is a correlation (conv2d, convTranspose2d's input gradient), a
// gather, its adjoint (conv2d's input gradient, convTranspose2d), or a weight gradient; each has a kernel
// table (correlationKernels, gatherKernels, weightGradientKernels) that the planner (planner.ts) picks from
// by the device's adapter profile — on 'cpu' the subgroup kernels (conv3x3Subgroup, convKxKSubgroup,
// convNarrowSubgroup, matmulSubgroup for 1×1) where they fit, on 'gpu' the shared-memory tiled implicit GEMMs
// (conv2dTiled.ts), then the register-tiled conv2d3x3 and the blocked kernels; the naive kernels are the
// references.
import type { Engine } from '../runtime/engine.ts';
import type { GpuContext } from '../runtime/device.ts';
import { type KernelSpec, grid1d, kernel, kernelVariants, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor, derivedKey, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/conv2d.wgsl?raw';
import { type ConvTranspose2dGeometry, NO_PADDING, type PaddedLayout, type Padding, conv2dOutputShape, convTransposeMismatch, paddedLayout, paddingOf, sameLayout } from './geometry.ts';
import epilogueWgsl from '../../shaders/epilogue.wgsl?raw';
import padSourceWgsl from '../../shaders/padSource.wgsl?raw';
import {
  type Lanes, NARROW_MAX_CHANNELS, NARROW_TILE_COLS, conv3x3Subgroup, convKxKSubgroup, convKxKSubgroupBackwardWeight, convNarrowSubgroup, kxkGradientWidth, kxkPaddedSize, kxkWorkgroups,
  kxkSubgroupFits, narrowPaddedSize, packTapsRows, packTapsSubgroup, subgroupLanes, subgroupPaddedSize, subgroupTile,
} from './conv2dSubgroup.ts';
import { MATMUL_TILE_COLS, matmulSubgroup, packRows } from './matmulSubgroup.ts';
import { type Activation, epilogueDefines, slopeOf, withBias } from './epilogue.ts';
import { type ChoiceOption, type KernelCandidate, type KernelTable, kernelTable, optionReason, plan } from './planner.ts';
import { ConvParams, convParams } from './convParams.ts';
import { conv2dTiled, convTranspose2dTiled, tiledConvReason } from './conv2dTiled.ts';

export type { ConvTranspose2dGeometry, Padding } from './geometry.ts';
export { samePadding, tfConvTranspose2dSame, torchConvTranspose2d } from './geometry.ts';
/** 'reflect' mirrors without repeating the edge, as torch.nn.ReflectionPad2d (every pad < that side's size). */
export type PadMode = 'zeros' | 'reflect';
export type { Activation } from './epilogue.ts';
/** Outputs per invocation of the blocked kernels: `co` channels (4, 8, 12 or 16) × `px` pixels of a row. */
export interface Tile {
  co: number;
  px: number;
}
/** Which kernel runs a pass: `impl` names a row of the pass's table (correlationKernels for conv2d and
 *  convTranspose2dBackwardInput, gatherKernels for conv2dBackwardInput and convTranspose2d) or is 'auto'
 *  (default): the first row that fits in the device profile's order. `tile` is the blocked kernels' option
 *  (default defaultTile(output channels)), `lanes` the subgroup kernels' (4 or 8; default the most the
 *  subgroups hold); a kernel given an option it does not take does not fit. */
export interface KernelChoice {
  impl?: string;
  tile?: Tile;
  lanes?: Lanes;
}

/** The weight gradients' choice: a row of weightGradientKernels or 'auto'; `lanes` as in KernelChoice. */
export interface WeightGradientChoice {
  impl?: string;
  lanes?: Lanes;
}

export interface Conv2dGeometry {
  /** Default 1. */
  stride?: number;
  /** A number pads every side alike (PyTorch); default 0. */
  padding?: number | Padding;
  padMode?: PadMode;
}
export interface Conv2dOptions extends Conv2dGeometry, KernelChoice {
  bias?: Tensor;
  /** Applied after the bias. Its backward is not part of this family: see conv2dBackwardInput. */
  activation?: Activation;
}

const WG = 64;
/** padInput: vec4 per invocation, rows of a few dozen vec4, so small workgroups waste few lanes. */
const PAD_WG = 16;
const MAX_VEC = 4; // as in conv2d.wgsl
const MAX_ACC = 16;

const i32 = 'i32' as const;
export { ConvParams } from './convParams.ts';
export const PackParams = uniformStruct('PackParams', { rows: i32, cols: i32, KH: i32, KW: i32, rowVecs: i32, transposed: i32, flipped: i32 });
const module = shaderModule('conv2d', source, [ConvParams, PackParams], [epilogueWgsl, padSourceWgsl]);

type ConvKernel = KernelSpec<typeof ConvParams.fields>;
/** Kernel specs per entry point, bindings (the bias binding exists only with BIAS defined) and tile. */
const convKernelVariant = kernelVariants(
  (entryPoint: string, bindings: string[], constants: Record<string, number>): ConvKernel => kernel(module, { entryPoint, bindings, uniforms: ConvParams, constants }),
);
const convKernel = (entryPoint: string, bindings: string[], constants: Record<string, number> = { WG }) => convKernelVariant(entryPoint, bindings, constants);
const packWeightsKernel = kernel(module, { entryPoint: 'packWeights', bindings: ['w', 'packed'], uniforms: PackParams, constants: { WG } });
/** packTaps for conv2d3x3: 4 output channels (one vec4) per input channel and tap, 36 values per workgroup. */
const packTaps4Kernel = kernel(module, { entryPoint: 'packTaps', bindings: ['w', 'packedTaps'], uniforms: PackParams, constants: { WG: 36, CO_TILE: 4 } });
const NO_DEFINES = { BIAS: false, RELU: false, LEAKY_RELU: false, REFLECT: false };

/** Blocked kernels: 16 channels × 4 pixels (fastest on lavapipe), fewer channels for narrow layers so no tile
 *  is mostly padding. */
export function defaultTile(channels: number): Tile {
  return { co: Math.min(16, Math.ceil(channels / 4) * 4), px: 4 };
}

// ---- validation

interface Geometry {
  stride: number;
  pad: Padding;
  reflect: boolean;
}

function resolve(op: string, g: Conv2dGeometry, H: number, W: number): Geometry {
  const stride = g.stride ?? 1;
  const pad = paddingOf(g.padding);
  const reflect = (g.padMode ?? 'zeros') === 'reflect';
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`${op}: stride must be a positive integer, got ${stride}`);
  for (const side of ['top', 'bottom', 'left', 'right'] as const) {
    if (!Number.isInteger(pad[side]) || pad[side] < 0) throw new Error(`${op}: padding.${side} must be a non-negative integer, got ${pad[side]}`);
  }
  if (reflect && (pad.top >= H || pad.bottom >= H || pad.left >= W || pad.right >= W)) {
    throw new Error(`${op}: reflect padding ${JSON.stringify(pad)} must be smaller than the input's ${H}×${W}`);
  }
  return { stride, pad, reflect };
}

function check4d(op: string, name: string, t: { shape: Shape }): void {
  if (t.shape.length !== 4) throw new Error(`${op}: ${name} must be 4-D, got ${shapeString(t.shape)}`);
}

function checkBias(op: string, bias: Tensor | undefined, channels: number): void {
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== channels)) {
    throw new Error(`${op}: bias must be [${channels}], got ${shapeString(bias.shape)}`);
  }
}

function checkChannels(op: string, input: Shape, weight: Shape, weightAxis: 0 | 1): void {
  if (input[1] !== weight[weightAxis]) {
    throw new Error(`${op}: input ${shapeString(input)} has ${input[1]} channels, weight ${shapeString(weight)} expects ${weight[weightAxis]}`);
  }
}

function checkOutputGradient(op: string, dy: Tensor, want: Shape): void {
  check4d(op, 'output gradient', dy);
  if (dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: output gradient ${shapeString(dy.shape)} does not match the forward output ${shapeString(want)}`);
  }
}

/** Why the blocked kernels cannot run `tile`, or undefined. */
function tileReason(t: Tile | undefined): string | undefined {
  if (!t) return undefined;
  if (!Number.isInteger(t.co) || t.co % 4 !== 0 || t.co < 4 || t.co > 4 * MAX_VEC || !Number.isInteger(t.px) || t.px < 1 || (t.co / 4) * t.px > MAX_ACC) {
    return `needs a tile with co ∈ {4, 8, 12, 16}, px ≥ 1 and (co/4)·px ≤ ${MAX_ACC}, got ${JSON.stringify(t)}`;
  }
  return undefined;
}

// ---- dispatch

function grid(e: Engine, n: number) {
  return grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension);
}

/** w [A, B, KH, KW] as rows (r·KH + kh)·KW + kw of `cols` channels padded to whole tiles, vec4 each:
 *  r runs over B and the columns over A when `transposed`, else r over A and columns over B. Cached on w
 *  (Tensor.derived) while w is unchanged, so frozen weights are packed once. */
function packWeights(e: Engine, w: Tensor, transposed: boolean, tileCo: number): { packed: Tensor; rowVecs: number } {
  const [A, B, KH, KW] = w.shape;
  const [rows, cols] = transposed ? [B, A] : [A, B];
  const rowVecs = (Math.ceil(cols / tileCo) * tileCo) / 4;
  const packed = w.derived(derivedKey('conv2d.packWeights', transposed, tileCo), () => {
    const p = e.empty([rows * KH * KW * rowVecs * 4]);
    const n = rows * KH * KW * rowVecs;
    const uniforms = { rows, cols, KH, KW, rowVecs, transposed: +transposed, flipped: 0 };
    e.run(packWeightsKernel, { bindings: { w, packed: p }, uniforms, workgroups: grid(e, n), defines: NO_DEFINES });
    return p;
  });
  return { packed, rowVecs };
}

interface Epilogue {
  bias?: Tensor;
  activation?: Activation;
  /** The subgroup kernels only: lanes per workgroup (KernelChoice.lanes). */
  lanes?: Lanes;
}

/** The direct kernels directConv runs through padInput. */
type Direct = 'conv3x3Subgroup' | 'conv2d3x3' | 'convKxKSubgroup';

/** The padded input [height, width] per plane that a direct kernel (or convNarrowSubgroup) reads for an
 *  output of Hy × Wy: its padding plus the rows and columns its last tiles reach (for conv2d3x3: 4 × 4 tiles,
 *  columns a multiple of 4 so rows are vec4-aligned; conv3x3Subgroup's tile height depends on its lanes). */
function directPaddedSize(kind: Direct | 'convNarrowSubgroup', Hy: number, Wy: number, KH: number, KW: number, stride: number, lanes?: Lanes): [number, number] {
  if (kind === 'conv3x3Subgroup') {
    if (!lanes) throw new Error('conv3x3Subgroup: its padded size depends on the lanes (none given)');
    return subgroupPaddedSize(Hy, Wy, lanes);
  }
  if (kind === 'convKxKSubgroup') return kxkPaddedSize(Hy, Wy, KH, KW, stride);
  if (kind === 'convNarrowSubgroup') return narrowPaddedSize(Hy, Wy, KH, KW, stride);
  return [Math.ceil(Hy / 4) * 4 + 2, Math.ceil(Wy / 4) * 4 + 4];
}

/** The layout a direct kernel reads its zero-padded input in (undefined for reflect padding, which stays
 *  on padInput): a producer that writes x there spares the kernel its padding pass. */
function directLayout(kind: Direct | 'convNarrowSubgroup', out: Shape, KH: number, KW: number, stride: number, pad: Padding, reflect: boolean, lanes?: Lanes): PaddedLayout | undefined {
  return reflect ? undefined : paddedLayout(pad, directPaddedSize(kind, out[2], out[3], KH, KW, stride, lanes));
}

/** x padded as a direct kernel reads it (paddedHW per plane): x's own buffer when a producer wrote x in
 *  that layout (the program's paddedOutput plan), else padInput's copy. Release the result either way (a
 *  view of x lets go of nothing). */
function paddedInput(e: Engine, op: string, x: Tensor, pad: Padding, reflect: boolean, paddedHW: [number, number]): Tensor {
  if (!x.layout) return padInput(e, op, x, pad, reflect, paddedHW);
  const want = reflect ? undefined : paddedLayout(pad, paddedHW);
  if (!sameLayout(x.layout, want)) {
    throw new Error(`${op}: input ${shapeString(x.shape)} is stored in layout ${JSON.stringify(x.layout)}, the kernel reads ${want ? JSON.stringify(want) : 'reflect padding'}`);
  }
  return x.storage();
}

/** How conv2d3x3 reads w: [Cin, Cout, 3, 3] instead of [Cout, Cin, 3, 3] when `transposed`, each kernel
 *  rotated by 180° when `flipped`. */
interface TapLayout {
  transposed: boolean;
  flipped: boolean;
}

/** x [N, Cx, H, W] padded by `pad` (zero or reflect), then with zeros up to `paddedHW` (what a direct kernel's
 *  last tiles read). */
function padInput(e: Engine, op: string, x: Tensor, pad: Padding, reflect: boolean, paddedHW: [number, number]): Tensor {
  const [N, Cx] = x.shape;
  const paddedShape = [N, Cx, ...paddedHW];
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (Math.max(N * Cx, paddedHW[0]) > maxDim) {
    throw new Error(`${op}: input ${shapeString(x.shape)} needs more than ${maxDim} workgroups along one dimension to pad`);
  }
  if (paddedHW[1] % 4 !== 0) throw new Error(`${op}: padded width ${paddedHW[1]} is not a multiple of 4`);
  const xp = e.empty(paddedShape);
  e.run(convKernel('padInput', ['x', 'padded'], { WG: PAD_WG }), {
    bindings: { x, padded: xp },
    uniforms: convParams(x.shape, paddedShape, 3, 3, 1, pad),
    workgroups: [Math.ceil(paddedHW[1] / 4 / PAD_WG), paddedHW[0], N * Cx],
    defines: { ...NO_DEFINES, REFLECT: reflect },
  });
  return xp;
}

/** y [N, Cy, Hy, Wy] = act(bias + the correlation of pad(x) with w) through padInput and a direct kernel:
 *  convKxKSubgroup (K × K, stride 1 or 2), conv3x3Subgroup, or packTaps + conv2d3x3 (3 × 3, stride 1); x [N, Cx, H, W]
 *  with H + pad.top + pad.bottom = (Hy − 1)·stride + K (likewise W). */
function directConv(e: Engine, op: string, kind: Direct, x: Tensor, w: Tensor, outShape: Shape, stride: number, pad: Padding, reflect: boolean, layout: TapLayout, { bias, activation = 'none', lanes }: Epilogue): Tensor {
  const [N, Cy, Hy, Wy] = outShape;
  const Cx = x.shape[1];
  const [KH, KW] = w.shape.slice(2);
  const sublanes = lanes ?? subgroupLanes(e.ctx);
  if (kind === 'convKxKSubgroup') {
    const xp = paddedInput(e, op, x, pad, reflect, directPaddedSize(kind, Hy, Wy, KH, KW, stride, sublanes as Lanes));
    const taps = w.derived(derivedKey('conv2dSubgroup.rowTaps', layout.transposed, layout.flipped, sublanes), () => packTapsRows(e, w, Cx, Cy, KH, KW, layout, lanes));
    const y = convKxKSubgroup(e, xp, taps, outShape, KH, KW, stride, { bias, activation, lanes });
    xp.release();
    return y;
  }
  if (kind === 'conv3x3Subgroup') {
    const xp = paddedInput(e, op, x, pad, reflect, directPaddedSize(kind, Hy, Wy, 3, 3, 1, sublanes as Lanes));
    const taps = w.derived(derivedKey('conv2dSubgroup.taps', layout.transposed, layout.flipped, sublanes), () => packTapsSubgroup(e, w, Cx, Cy, layout, lanes));
    const y = conv3x3Subgroup(e, xp, taps, outShape, bias, activation, lanes);
    xp.release();
    return y;
  }
  const rowBlocks = Math.ceil(Hy / 4);
  const colBlocks = Math.ceil(Wy / 4);
  const chanBlocks = Math.ceil(Cy / 4);
  const groups = Math.ceil((rowBlocks * colBlocks) / WG);
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups > maxDim) {
    throw new Error(`${op}: input ${shapeString(x.shape)} → output ${shapeString(outShape)} needs more than ${maxDim} workgroups along one dimension of the direct 3×3 kernel`);
  }
  const xp = paddedInput(e, op, x, pad, reflect, directPaddedSize(kind, Hy, Wy, 3, 3, 1));
  const paddedShape = xp.shape;
  const taps = w.derived(derivedKey('conv2d.packTaps', layout.transposed, layout.flipped), () => {
    const packed = e.empty([chanBlocks * 4 * Cx * 9]);
    const packing = { rows: Cx, cols: Cy, KH: 3, KW: 3, rowVecs: 0, transposed: +layout.transposed, flipped: +layout.flipped };
    e.run(packTaps4Kernel, { bindings: { w, packedTaps: packed }, uniforms: packing, workgroups: [1, Cx, chanBlocks], defines: NO_DEFINES });
    return packed;
  });

  const y = e.empty(outShape);
  const bindings = withBias({ xp, taps, y }, bias);
  const defines = { ...epilogueDefines(bias, activation), REFLECT: false };
  const slope = slopeOf(activation);
  e.run(convKernel('conv2d3x3', Object.keys(bindings)), { bindings, uniforms: convParams(paddedShape, outShape, 3, 3, 1, NO_PADDING, 0, slope), workgroups: [groups, chanBlocks, N], defines });
  xp.release();
  return y;
}

/** A stride-2 gather as its four phases (polyphase): the outputs u ≡ ua (mod 2), v ≡ vb (mod 2) of phase
 *  (a, b) take only the taps kh ≡ a, kw ≡ b (mod 2) — a stride-1 correlation of x with those taps, rotated
 *  (ceil((K − a)/2) × ceil((K − b)/2)) — which convKxKSubgroup computes straight into every other row and
 *  column of y. Per axis, with p the crop (pad.top): ua = (a − p) mod 2, output u = ua + 2t reads
 *  x[off + t − m] for tap a + 2m, off = (ua + p − a)/2. */
function gatherPhases(e: Engine, op: string, x: Tensor, w: Tensor, outShape: Shape, pad: Padding, bias: Tensor | undefined, lanes?: Lanes): Tensor {
  const [, Cy, outH, outW] = outShape;
  const [, Cx, H, W] = x.shape;
  const [KH, KW] = w.shape.slice(2);
  const phase = (a: number, K: number, crop: number, out: number) => {
    const taps = Math.ceil((K - a) / 2);
    const first = (((a - crop) % 2) + 2) % 2;
    const count = Math.max(0, Math.ceil((out - first) / 2));
    const off = (first + crop - a) / 2;
    return { taps, first, count, before: taps - 1 - off };
  };
  const y = e.empty(outShape);
  const sublanes = lanes ?? subgroupLanes(e.ctx);
  for (const a of [0, 1]) {
    for (const b of [0, 1]) {
      const r = phase(a, KH, pad.top, outH);
      const q = phase(b, KW, pad.left, outW);
      if (r.count === 0 || q.count === 0) continue;
      const paddedHW = kxkPaddedSize(r.count, q.count, r.taps, q.taps, 1);
      const xp = padInput(e, op, x, { top: r.before, bottom: paddedHW[0] - H - r.before, left: q.before, right: paddedHW[1] - W - q.before }, false, paddedHW);
      const taps = w.derived(derivedKey('conv2dSubgroup.rowTaps', 'phase', a, b, sublanes), () =>
        packTapsRows(e, w, Cx, Cy, r.taps, q.taps, { transposed: true, flipped: false, phase: { row: a, col: b, step: 2 } }, lanes));
      const grid = { Hc: r.count, Wc: q.count, outStride: 2, outRow0: r.first, outCol0: q.first };
      convKxKSubgroup(e, xp, taps, outShape, r.taps, q.taps, 1, { bias, lanes, grid, into: y });
      xp.release();
    }
  }
  return y;
}

// ---- kernel tables (planner.ts): the problems, and per family its candidate kernels

/** A correlation y = out = act(bias + corr(pad(x), w)) of x [N, Cx, H, W] with w [Cy, Cx, KH, KW]: conv2d's
 *  forward pass and convTranspose2d's input gradient. */
export interface CorrelationProblem extends Geometry {
  x: Shape;
  w: Shape;
  out: Shape;
  tile?: Tile;
  lanes?: Lanes;
}

/** The adjoint of a correlation: x [N, Cx, h, w] on the small grid, w [Cx, Cy, KH, KW], y = out on the large
 *  grid that `pad` (zeros) crops: convTranspose2d, and conv2d's input gradient, which with reflect padding
 *  gathers onto the padded image (out, no pad) and then folds the mirrored border back (`fold`). */
export interface GatherProblem {
  x: Shape;
  w: Shape;
  out: Shape;
  stride: number;
  pad: Padding;
  tile?: Tile;
  lanes?: Lanes;
  /** Reflect padding to fold out back onto the unpadded input of `shape`. */
  fold?: { pad: Padding; shape: Shape };
}

/** dw [Cy, Cx, KH, KW] of the correlation of pad(x [N, Cx, H, W]) with w, given dy [N, Cy, Hy, Wy]. */
export interface WeightGradientProblem extends Geometry {
  x: Shape;
  dy: Shape;
  KH: number;
  KW: number;
  lanes?: Lanes;
}

/** A row of a conv table: a candidate and how it runs. */
interface ConvCandidate<P, Run> extends KernelCandidate<P> {
  readonly run: Run;
  /** The padded layout the kernel reads its input in, where it pads the input itself (a direct kernel with
   *  zero padding): given its input in that layout (Engine.zeros with it, written by a producer), run skips
   *  the padding pass. The one statement of each kernel's padded geometry the program plans with. */
  readonly inputLayout?: (p: P, ctx: GpuContext) => PaddedLayout | undefined;
}
type CorrelationRun = (e: Engine, op: string, p: CorrelationProblem, x: Tensor, w: Tensor, epilogue: Epilogue) => Tensor;
type GatherRun = (e: Engine, op: string, p: GatherProblem, x: Tensor, w: Tensor, bias: Tensor | undefined) => Tensor;
type WeightGradientRun = (e: Engine, op: string, p: WeightGradientProblem, x: Tensor, dy: Tensor) => Tensor;
export type CorrelationKernel = ConvCandidate<CorrelationProblem, CorrelationRun>;
export type GatherKernel = ConvCandidate<GatherProblem, GatherRun>;
export type WeightGradientKernel = ConvCandidate<WeightGradientProblem, WeightGradientRun>;

// Reasons shared by the rows (undefined: no objection).

/** Options the row does not take, or (blocked kernels) a tile they cannot run. */
function optionsReason(p: { tile?: Tile; lanes?: Lanes }, takes: readonly ChoiceOption[]): string | undefined {
  return optionReason(p, takes) ?? (takes.includes('tile') ? tileReason(p.tile) : undefined);
}

/** Why the subgroup kernels cannot run here with `lanes`, or undefined. */
function subgroupReason(ctx: GpuContext, lanes?: Lanes): string | undefined {
  const have = subgroupLanes(ctx);
  if (!have) return `needs the 'subgroups' feature with at least 4 invocations per subgroup; this device has ${ctx.features.has('subgroups') ? `subgroups of ${ctx.subgroupSize.min}` : 'no subgroups'}`;
  if (lanes !== undefined && lanes !== 4 && lanes !== 8) return `takes lanes 4 or 8, got ${lanes}`;
  if (lanes !== undefined && have < lanes) return `needs subgroups of at least ${lanes} invocations for lanes ${lanes}; this device's hold ${have}`;
  return undefined;
}

/** Why a dispatch of `workgroups` (and padInput's grid for `paddedRows` images of `paddedHeight` rows, if
 *  given) exceeds the device, or undefined. */
function gridReason(ctx: GpuContext, workgroups: number[], padded?: [rows: number, height: number]): string | undefined {
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (padded && Math.max(...padded) > maxDim) return `needs more than ${maxDim} workgroups along one dimension to pad the input`;
  if (Math.max(...workgroups) > maxDim) return `needs ${workgroups.join(' × ')} workgroups, more than ${maxDim} along one dimension`;
  return undefined;
}

const fits3x3 = (KH: number, KW: number, stride: number) =>
  KH === 3 && KW === 3 && stride === 1 ? undefined : `needs a 3×3 kernel and stride 1, got ${KH}×${KW} stride ${stride}`;
const fitsKxK = (KH: number, KW: number, stride: number) =>
  kxkSubgroupFits(KH, KW, stride) ? undefined : `needs a kernel of at most 9×9 and stride 1 or 2, got ${KH}×${KW} stride ${stride}`;

/** Reasons conv3x3Subgroup, convKxKSubgroup and conv2d3x3 share as direct kernels of an output `out` with
 *  input channels Cx (their padInput and dispatch grids). */
function directGridReason(kind: Direct, ctx: GpuContext, out: Shape, Cx: number, KH: number, KW: number, stride: number, lanes = subgroupLanes(ctx)): string | undefined {
  const [N, Cy, Hy, Wy] = out;
  const [Hp] = directPaddedSize(kind, Hy, Wy, KH, KW, stride, lanes as Lanes);
  if (kind === 'conv3x3Subgroup') {
    const tile = subgroupTile(lanes as Lanes);
    return gridReason(ctx, [Math.ceil(Wy / tile.cols), Math.ceil(Hy / tile.rows), N * Math.ceil(Cy / lanes)], [N * Cx, Hp]);
  }
  if (kind === 'convKxKSubgroup') {
    return gridReason(ctx, kxkWorkgroups(N, Cy, Hy, Wy, KW, lanes), [N * Cx, Hp]);
  }
  return gridReason(ctx, [Math.ceil((Math.ceil(Hy / 4) * Math.ceil(Wy / 4)) / WG), Math.ceil(Cy / 4), N], [N * Cx, Hp]);
}

const PLAIN: TapLayout = { transposed: false, flipped: false };

/** Correlations: conv2d's forward pass and convTranspose2d's input gradient. */
export const correlationKernels = kernelTable<CorrelationProblem, CorrelationKernel>({
  family: 'correlation (conv2d forward)',
  candidates: [
    {
      // 1 × 1 stride-1 unpadded convolutions are the matrix products Y[n] = W·X[n].
      name: 'matmulSubgroup',
      options: ['lanes'],
      fits(p, ctx) {
        const [N, , H, W] = p.x;
        const [Cy, , KH, KW] = p.w;
        const { top, bottom, left, right } = p.pad;
        if (KH !== 1 || KW !== 1 || p.stride !== 1 || top || bottom || left || right) {
          return `needs a 1×1 kernel, stride 1 and no padding, got ${KH}×${KW} stride ${p.stride} padding ${JSON.stringify(p.pad)}`;
        }
        if ((H * W) % 4 !== 0) return `needs H·W a multiple of 4, got ${H}×${W}`;
        return optionsReason(p, this.options) ?? subgroupReason(ctx, p.lanes) ?? gridReason(ctx, [Math.ceil((H * W) / MATMUL_TILE_COLS), Math.ceil(Cy / (p.lanes ?? subgroupLanes(ctx))), N]);
      },
      run(e, _op, p, x, w, { bias, activation }) {
        const [N, Cy, Hy, Wy] = p.out;
        const Cx = p.x[1];
        const rows = w.derived(derivedKey('matmulSubgroup.rows'), () => packRows(e, w, Cy, Cx));
        return matmulSubgroup(e, rows, x, { N, M: Cy, K: Cx, P: Hy * Wy }, { bias, activation, lanes: p.lanes ?? (subgroupLanes(e.ctx) as Lanes), outShape: p.out });
      },
    },
    {
      name: 'conv3x3Subgroup',
      options: ['lanes'],
      fits(p, ctx) {
        const [, Cx, KH, KW] = p.w;
        return fits3x3(KH, KW, p.stride) ?? optionsReason(p, this.options) ?? subgroupReason(ctx, p.lanes) ?? directGridReason('conv3x3Subgroup', ctx, p.out, Cx, KH, KW, 1, p.lanes);
      },
      inputLayout: (p, ctx) => directLayout('conv3x3Subgroup', p.out, 3, 3, 1, p.pad, p.reflect, p.lanes ?? (subgroupLanes(ctx) as Lanes)),
      run: (e, op, p, x, w, epilogue) => directConv(e, op, 'conv3x3Subgroup', x, w, p.out, p.stride, p.pad, p.reflect, PLAIN, { ...epilogue, lanes: p.lanes }),
    },
    {
      // Up to 4 output channels (a to-RGB layer): one output row per lane instead of one channel. Measured on
      // lavapipe for 3 channels: 1.4× convKxKSubgroup at 7 × 7, 1.75× at 9 × 9, 0.9× conv3x3Subgroup at 3 × 3.
      name: 'convNarrowSubgroup',
      options: ['lanes'],
      fits(p, ctx) {
        const [N, Cx, , ] = p.x;
        const [Cy, , KH, KW] = p.w;
        const [, , Hy, Wy] = p.out;
        if (Cy > NARROW_MAX_CHANNELS) return `needs at most ${NARROW_MAX_CHANNELS} output channels, got ${Cy}`;
        const lanes = p.lanes ?? subgroupLanes(ctx);
        return fitsKxK(KH, KW, p.stride) ?? optionsReason(p, this.options) ?? subgroupReason(ctx, p.lanes) ??
          gridReason(ctx, [Math.ceil(Wy / NARROW_TILE_COLS), Math.ceil(Hy / lanes), N], [N * Cx, directPaddedSize('convNarrowSubgroup', Hy, Wy, KH, KW, p.stride)[0]]);
      },
      inputLayout: (p) => directLayout('convNarrowSubgroup', p.out, p.w[2], p.w[3], p.stride, p.pad, p.reflect),
      run(e, op, p, x, w, { bias, activation }) {
        const [, Cy, Hy, Wy] = p.out;
        const [KH, KW] = p.w.slice(2);
        const xp = paddedInput(e, op, x, p.pad, p.reflect, directPaddedSize('convNarrowSubgroup', Hy, Wy, KH, KW, p.stride));
        const taps = w.derived(derivedKey('conv2dSubgroup.rowTaps', false, false, 4), () => packTapsRows(e, w, p.x[1], Cy, KH, KW, PLAIN, 4));
        const y = convNarrowSubgroup(e, xp, taps, p.out, KH, KW, p.stride, { bias, activation, lanes: p.lanes });
        xp.release();
        return y;
      },
    },
    {
      name: 'convKxKSubgroup',
      options: ['lanes'],
      fits(p, ctx) {
        const [, Cx, KH, KW] = p.w;
        return fitsKxK(KH, KW, p.stride) ?? optionsReason(p, this.options) ?? subgroupReason(ctx, p.lanes) ?? directGridReason('convKxKSubgroup', ctx, p.out, Cx, KH, KW, p.stride, p.lanes);
      },
      inputLayout: (p) => directLayout('convKxKSubgroup', p.out, p.w[2], p.w[3], p.stride, p.pad, p.reflect),
      run: (e, op, p, x, w, epilogue) => directConv(e, op, 'convKxKSubgroup', x, w, p.out, p.stride, p.pad, p.reflect, PLAIN, { ...epilogue, lanes: p.lanes }),
    },
    {
      // 4 channels × 4 × 4 pixels per invocation in registers.
      name: 'conv2d3x3',
      options: [],
      fits(p, ctx) {
        const [, Cx, KH, KW] = p.w;
        return fits3x3(KH, KW, p.stride) ?? optionsReason(p, this.options) ?? directGridReason('conv2d3x3', ctx, p.out, Cx, KH, KW, 1);
      },
      inputLayout: (p) => directLayout('conv2d3x3', p.out, 3, 3, 1, p.pad, p.reflect),
      run: (e, op, p, x, w, epilogue) => directConv(e, op, 'conv2d3x3', x, w, p.out, p.stride, p.pad, p.reflect, PLAIN, epilogue),
    },
    {
      // `tile` channels × pixels per invocation, any geometry.
      name: 'conv2dBlocked',
      options: ['tile'],
      fits(p) {
        return optionsReason(p, this.options);
      },
      run(e, _op, p, x, w, { bias, activation = 'none' }) {
        const [KH, KW] = p.w.slice(2);
        const [N, Cy, Hy, Wy] = p.out;
        const tile = p.tile ?? defaultTile(Cy);
        const { packed, rowVecs } = packWeights(e, w, true, tile.co);
        const n = N * Math.ceil(Cy / tile.co) * Hy * Math.ceil(Wy / tile.px);
        const bindings = withBias({ x, wp: packed, y: e.empty(p.out) }, bias);
        const k = convKernel('conv2dBlocked', Object.keys(bindings), { WG, CO_TILE: tile.co, PX_TILE: tile.px });
        const uniforms = convParams(p.x, p.out, KH, KW, p.stride, p.pad, rowVecs, slopeOf(activation));
        e.run(k, { bindings, uniforms, workgroups: grid(e, n), defines: { ...epilogueDefines(bias, activation), REFLECT: p.reflect } });
        return bindings.y;
      },
    },
    {
      // Implicit GEMM on shared-memory tiles (conv2dTiled.ts), any geometry: for real GPUs.
      name: 'conv2dTiled',
      options: [],
      fits(p, ctx) {
        return optionsReason(p, this.options) ?? tiledConvReason(ctx, p.out);
      },
      run: (e, _op, p, x, w, epilogue) => conv2dTiled(e, x, w, p.out, p, epilogue),
    },
    {
      // One output per invocation: the reference for tests and benchmarks.
      name: 'conv2dNaive',
      options: [],
      fits(p) {
        return optionsReason(p, this.options);
      },
      run(e, _op, p, x, w, { bias, activation = 'none' }) {
        const [KH, KW] = p.w.slice(2);
        const y = e.empty(p.out);
        const bindings = withBias({ x, w, y }, bias);
        const uniforms = convParams(p.x, p.out, KH, KW, p.stride, p.pad, 0, slopeOf(activation));
        e.run(convKernel('conv2dNaive', Object.keys(bindings)), { bindings, uniforms, workgroups: grid(e, y.size), defines: { ...epilogueDefines(bias, activation), REFLECT: p.reflect } });
        return y;
      },
    },
  ],
  preference: {
    cpu: ['matmulSubgroup', 'conv3x3Subgroup', 'convNarrowSubgroup', 'convKxKSubgroup', 'conv2d3x3', 'conv2dBlocked'],
    gpu: ['conv2dTiled', 'conv2d3x3', 'conv2dBlocked'],
  },
});

/** A gather at stride 1 is a correlation of x zero-padded by K − 1 − pad with the rotated, transposed
 *  kernel, so the direct kernels serve it when every pad ≤ K − 1: that padding, or a reason. */
function strideOneCorrelation(p: GatherProblem): Padding | string {
  const [, , KH, KW] = p.w;
  const { top, bottom, left, right } = p.pad;
  if (p.stride !== 1 || top > KH - 1 || bottom > KH - 1 || left > KW - 1 || right > KW - 1) {
    return `serves a gather only at stride 1 with every pad ≤ K − 1, got ${KH}×${KW}, stride ${p.stride} and padding ${JSON.stringify(p.pad)}`;
  }
  return { top: KH - 1 - top, bottom: KH - 1 - bottom, left: KW - 1 - left, right: KW - 1 - right };
}
const ROTATED: TapLayout = { transposed: true, flipped: true };

/** The layout a direct kernel reads a stride-1 gather's input in (its correlation's zero padding); undefined
 *  at stride 2 (gatherPhases pads per phase). */
function gatherLayout(kind: Direct, p: GatherProblem, lanes?: Lanes): PaddedLayout | undefined {
  const pad = strideOneCorrelation(p);
  return typeof pad === 'string' ? undefined : directLayout(kind, p.out, p.w[2], p.w[3], 1, pad, false, lanes);
}

/** Gathers: conv2d's input gradient and convTranspose2d's forward pass. */
export const gatherKernels = kernelTable<GatherProblem, GatherKernel>({
  family: 'gather (conv2d input gradient)',
  candidates: [
    {
      name: 'conv3x3Subgroup',
      options: ['lanes'],
      fits(p, ctx) {
        const [, , KH, KW] = p.w;
        const pad = strideOneCorrelation(p);
        if (typeof pad === 'string') return pad;
        return fits3x3(KH, KW, 1) ?? optionsReason(p, this.options) ?? subgroupReason(ctx, p.lanes) ?? directGridReason('conv3x3Subgroup', ctx, p.out, p.x[1], KH, KW, 1, p.lanes);
      },
      inputLayout: (p, ctx) => gatherLayout('conv3x3Subgroup', p, p.lanes ?? (subgroupLanes(ctx) as Lanes)),
      run: (e, op, p, x, w, bias) => directConv(e, op, 'conv3x3Subgroup', x, w, p.out, 1, strideOneCorrelation(p) as Padding, false, ROTATED, { bias, lanes: p.lanes }),
    },
    {
      // Stride 1 as one correlation (kernels up to 9 × 9); stride 2 as four, one per output phase (gatherPhases),
      // for kernels of 2 … 18.
      name: 'convKxKSubgroup',
      options: ['lanes'],
      fits(p, ctx) {
        const [, , KH, KW] = p.w;
        const pad = strideOneCorrelation(p);
        const phases = p.stride === 2 && Math.min(KH, KW) >= 2 && Math.max(KH, KW) <= 18;
        if (typeof pad === 'string' && !phases) return `serves a gather at stride 1 with every pad ≤ K − 1 or at stride 2 with kernels of 2…18, got ${KH}×${KW}, stride ${p.stride} and padding ${JSON.stringify(p.pad)}`;
        // Phases write the output grid in parts no larger than the stride-1 grid of the whole output.
        return (typeof pad === 'string' ? undefined : fitsKxK(KH, KW, 1)) ?? optionsReason(p, this.options) ?? subgroupReason(ctx, p.lanes) ??
          directGridReason('convKxKSubgroup', ctx, p.out, p.x[1], Math.ceil(KH / p.stride), Math.ceil(KW / p.stride), 1, p.lanes);
      },
      inputLayout: (p) => gatherLayout('convKxKSubgroup', p),
      run(e, op, p, x, w, bias) {
        const pad = strideOneCorrelation(p);
        if (typeof pad === 'string') return gatherPhases(e, op, x, w, p.out, p.pad, bias, p.lanes);
        return directConv(e, op, 'convKxKSubgroup', x, w, p.out, 1, pad, false, ROTATED, { bias, lanes: p.lanes });
      },
    },
    {
      name: 'conv2d3x3',
      options: [],
      fits(p, ctx) {
        const [, , KH, KW] = p.w;
        const pad = strideOneCorrelation(p);
        if (typeof pad === 'string') return pad;
        return fits3x3(KH, KW, 1) ?? optionsReason(p, this.options) ?? directGridReason('conv2d3x3', ctx, p.out, p.x[1], KH, KW, 1);
      },
      inputLayout: (p) => gatherLayout('conv2d3x3', p),
      run: (e, op, p, x, w, bias) => directConv(e, op, 'conv2d3x3', x, w, p.out, 1, strideOneCorrelation(p) as Padding, false, ROTATED, { bias }),
    },
    {
      name: 'convTranspose2dBlocked',
      options: ['tile'],
      fits(p) {
        return optionsReason(p, this.options);
      },
      run(e, _op, p, x, w, bias) {
        const [KH, KW] = p.w.slice(2);
        const [N, Cy, Hy, Wy] = p.out;
        const tile = p.tile ?? defaultTile(Cy);
        const { packed, rowVecs } = packWeights(e, w, false, tile.co);
        const n = N * Math.ceil(Cy / tile.co) * Hy * p.stride * Math.ceil(Math.ceil(Wy / p.stride) / tile.px);
        const y = e.empty(p.out);
        const bindings = withBias({ x, wp: packed, y }, bias);
        const k = convKernel('convTranspose2dBlocked', Object.keys(bindings), { WG, CO_TILE: tile.co, PX_TILE: tile.px });
        const uniforms = convParams(p.x, p.out, KH, KW, p.stride, p.pad, rowVecs);
        e.run(k, { bindings, uniforms, workgroups: grid(e, n), defines: { ...epilogueDefines(bias, 'none'), REFLECT: false } });
        return y;
      },
    },
    {
      // The gather as implicit GEMM on shared-memory tiles (conv2dTiled.ts), any stride: for real GPUs.
      name: 'convTranspose2dTiled',
      options: [],
      fits(p, ctx) {
        return optionsReason(p, this.options) ?? tiledConvReason(ctx, p.out);
      },
      run: (e, _op, p, x, w, bias) => convTranspose2dTiled(e, x, w, p.out, p.stride, p.pad, bias),
    },
    {
      name: 'convTranspose2dNaive',
      options: [],
      fits(p) {
        return optionsReason(p, this.options);
      },
      run(e, _op, p, x, w, bias) {
        const [KH, KW] = p.w.slice(2);
        const y = e.empty(p.out);
        const bindings = withBias({ x, w, y }, bias);
        const uniforms = convParams(p.x, p.out, KH, KW, p.stride, p.pad);
        e.run(convKernel('convTranspose2dNaive', Object.keys(bindings)), { bindings, uniforms, workgroups: grid(e, y.size), defines: { ...epilogueDefines(bias, 'none'), REFLECT: false } });
        return y;
      },
    },
  ],
  preference: {
    cpu: ['conv3x3Subgroup', 'convKxKSubgroup', 'conv2d3x3', 'convTranspose2dBlocked'],
    gpu: ['convTranspose2dTiled', 'conv2d3x3', 'convTranspose2dBlocked'],
  },
});

/** Weight gradients of conv2d and convTranspose2d. */
export const weightGradientKernels = kernelTable<WeightGradientProblem, WeightGradientKernel>({
  family: 'conv weight gradient',
  candidates: [
    {
      name: 'convKxKSubgroupBackwardWeight',
      options: ['lanes'],
      fits(p, ctx) {
        const [N, Cx] = p.x;
        const [, Cy, Hy, Wy] = p.dy;
        const reason = fitsKxK(p.KH, p.KW, p.stride) ?? optionsReason(p, this.options) ?? subgroupReason(ctx, p.lanes);
        if (reason) return reason;
        const lanes = p.lanes ?? subgroupLanes(ctx);
        const [Hp] = kxkPaddedSize(Hy, Wy, p.KH, p.KW, p.stride);
        return gridReason(ctx, [Cx, Math.ceil(p.KH / Math.min(p.KH, 3)), Math.ceil(Cy / lanes)], [Math.max(N * Cx, N * Cy), Math.max(Hp, Hy)]);
      },
      run(e, op, p, x, dy) {
        const [, , Hy, Wy] = p.dy;
        const xp = padInput(e, op, x, p.pad, p.reflect, kxkPaddedSize(Hy, Wy, p.KH, p.KW, p.stride));
        const dyp = padInput(e, op, dy, NO_PADDING, false, [Hy, kxkGradientWidth(Wy)]);
        const dw = convKxKSubgroupBackwardWeight(e, xp, dyp, p.dy, p.KH, p.KW, p.stride, p.lanes);
        xp.release();
        dyp.release();
        return dw;
      },
    },
    {
      // One weight per invocation, any geometry.
      name: 'conv2dBackwardWeight',
      options: [],
      fits(p) {
        return optionsReason(p, this.options);
      },
      run(e, _op, p, x, dy) {
        const dw = e.empty([p.dy[1], p.x[1], p.KH, p.KW]);
        const uniforms = convParams(p.x, p.dy, p.KH, p.KW, p.stride, p.pad);
        e.run(convKernel('conv2dBackwardWeight', ['x', 'dy', 'dw']), { bindings: { x, dy, dw }, uniforms, workgroups: grid(e, dw.size), defines: { ...NO_DEFINES, REFLECT: p.reflect } });
        return dw;
      },
    },
  ],
  preference: {
    cpu: ['convKxKSubgroupBackwardWeight', 'conv2dBackwardWeight'],
    gpu: ['conv2dBackwardWeight'],
  },
});

/** The kernel `impl` (or 'auto') picks for `problem` and the padded layout it reads its input in, if it pads
 *  the input itself: the program's paddedOutput plan asks this once per step and pins the kernel (impl). */
function plannedInputLayout<P>(table: KernelTable<P, ConvCandidate<P, unknown>>, op: string, problem: P, ctx: GpuContext, impl?: string): { impl: string; layout: PaddedLayout } | undefined {
  const k = plan(table, op, problem, ctx, impl);
  const layout = k.inputLayout?.(problem, ctx);
  return layout && { impl: k.name, layout };
}

/** conv2d's kernel for x of shape `xs` and w of `ws`, with the padded layout it reads x in (if any). */
export function conv2dInputLayout(ctx: GpuContext, xs: Shape, ws: Shape, opts: Conv2dGeometry & KernelChoice = {}) {
  return plannedInputLayout(correlationKernels, 'conv2d', conv2dProblems('conv2d', xs, ws, opts).forward, ctx, opts.impl);
}

/** conv2dBackwardInput's kernel for a conv2d of an input of `inputShape` with w of `ws`, with the padded
 *  layout it reads the output gradient in (if any). */
export function conv2dBackwardInputLayout(ctx: GpuContext, inputShape: Shape, ws: Shape, opts: Conv2dGeometry & KernelChoice = {}) {
  return plannedInputLayout(gatherKernels, 'conv2dBackwardInput', conv2dProblems('conv2dBackwardInput', inputShape, ws, opts).inputGradient, ctx, opts.impl);
}

/** Runs a gather problem with the kernel `impl` (or 'auto') picks, folding reflect padding back. */
function gather(e: Engine, op: string, p: GatherProblem, x: Tensor, w: Tensor, impl: string | undefined, bias?: Tensor): Tensor {
  const k = plan(gatherKernels, op, p, e.ctx, impl);
  const y = k.run(e, op, p, x, w, bias);
  if (!p.fold) return y;
  const dx = e.empty(p.fold.shape);
  const uniforms = convParams(p.out, p.fold.shape, 1, 1, 1, p.fold.pad);
  e.run(convKernel('reflectPadBackward', ['dy', 'dx']), { bindings: { dy: y, dx }, uniforms, workgroups: grid(e, dx.size), defines: NO_DEFINES });
  y.release();
  return dx;
}

/** The gather problem onto `out` [N, Cy, H, W] of geometry g: with reflect padding, onto the padded image
 *  (no pad), folded back afterwards. */
function gatherProblem(x: Shape, w: Shape, out: Shape, g: Geometry, c: KernelChoice): GatherProblem {
  const { tile, lanes } = c;
  if (!g.reflect) return { x, w, out, stride: g.stride, pad: g.pad, tile, lanes };
  const { top, bottom, left, right } = g.pad;
  const [N, C, H, W] = out;
  return { x, w, out: [N, C, H + top + bottom, W + left + right], stride: g.stride, pad: NO_PADDING, tile, lanes, fold: { pad: g.pad, shape: out } };
}

/** The three problems of a conv2d of x [N, Cin, H, W] with w [Cout, Cin, KH, KW]: its forward pass (a
 *  correlation), input gradient (a gather) and weight gradient; validated, failing with the problem named. */
export function conv2dProblems(op: string, xs: Shape, ws: Shape, opts: Conv2dGeometry & KernelChoice = {}) {
  if (xs.length !== 4) throw new Error(`${op}: input must be 4-D, got ${shapeString(xs)}`);
  const g = resolve(op, opts, xs[2], xs[3]);
  const out = conv2dOutputShape(op, xs, ws, g.stride, g.pad);
  const { tile, lanes } = opts;
  return {
    out,
    forward: { ...g, x: xs, w: ws, out, tile, lanes } satisfies CorrelationProblem,
    inputGradient: gatherProblem(out, ws, xs, g, opts),
    weightGradient: { ...g, x: xs, dy: out, KH: ws[2], KW: ws[3], lanes } satisfies WeightGradientProblem,
  };
}

/** The three problems of a convTranspose2d of x [N, Cin, H, W] with w [Cin, Cout, KH, KW]: its forward pass
 *  (a gather), input gradient (a correlation, conv2d(dy, w)) and weight gradient (conv2d's with input and
 *  output gradient swapped). */
export function convTranspose2dProblems(op: string, xs: Shape, ws: Shape, t: ConvTranspose2dGeometry & KernelChoice) {
  if (xs.length !== 4) throw new Error(`${op}: input must be 4-D, got ${shapeString(xs)}`);
  if (ws.length !== 4) throw new Error(`${op}: weight must be 4-D, got ${shapeString(ws)}`);
  checkChannels(op, xs, ws, 0);
  const mismatch = convTransposeMismatch(xs[2], xs[3], ws[2], ws[3], t);
  if (mismatch) throw new Error(`${op}: ${mismatch}`);
  const g: Geometry = { stride: t.stride, pad: t.padding, reflect: false };
  const out = [xs[0], ws[1], t.outH, t.outW];
  const { tile, lanes } = t;
  return {
    out,
    forward: gatherProblem(xs, ws, out, g, t),
    inputGradient: { ...g, x: out, w: ws, out: xs, tile, lanes } satisfies CorrelationProblem,
    weightGradient: { ...g, x: out, dy: xs, KH: ws[2], KW: ws[3], lanes } satisfies WeightGradientProblem,
  };
}

// ---- conv2d

/** y = act(conv2d(pad(x), w) + bias): x [N, Cin, H, W], w [Cout, Cin, KH, KW], bias [Cout];
 *  y [N, Cout, floor((H + top + bottom − KH)/stride) + 1, …]. */
export function conv2d(e: Engine, x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const { forward } = conv2dProblems(op, x.shape, w.shape, opts);
  checkBias(op, opts.bias, w.shape[0]);
  return plan(correlationKernels, op, forward, e.ctx, opts.impl).run(e, op, forward, x, w, opts);
}

/** dL/dx of conv2d for x of `inputShape`, given dy = dL/d(conv output before any activation): apply the
 *  activation's backward to the gradient first. With reflect padding, gradient reaching a mirrored
 *  position lands on its source pixel. */
export function conv2dBackwardInput(e: Engine, dy: Tensor, w: Tensor, inputShape: Shape, opts: Conv2dGeometry & KernelChoice = {}): Tensor {
  const op = 'conv2dBackwardInput';
  const { out, inputGradient } = conv2dProblems(op, inputShape, w.shape, opts);
  checkOutputGradient(op, dy, out);
  return gather(e, op, inputGradient, dy, w, opts.impl);
}

/** dL/dw [Cout, Cin, KH, KW] of conv2d with input x, given dy = dL/d(conv output before any activation). */
export function conv2dBackwardWeight(e: Engine, x: Tensor, dy: Tensor, weightShape: Shape, opts: Conv2dGeometry & WeightGradientChoice = {}): Tensor {
  const op = 'conv2dBackwardWeight';
  const { out, weightGradient } = conv2dProblems(op, x.shape, weightShape, opts);
  checkOutputGradient(op, dy, out);
  return plan(weightGradientKernels, op, weightGradient, e.ctx, opts.impl).run(e, op, weightGradient, x, dy);
}

/** dL/db [C] = Σ_{n,h,w} dy[n, c, h, w], for conv2d and convTranspose2d alike (dy before any activation). */
export function conv2dBackwardBias(e: Engine, dy: Tensor): Tensor {
  check4d('conv2dBackwardBias', 'output gradient', dy);
  const db = e.empty([dy.shape[1]]);
  const uniforms = convParams(dy.shape, dy.shape, 1, 1, 1, NO_PADDING);
  e.run(convKernel('conv2dBackwardBias', ['dy', 'db']), { bindings: { dy, db }, uniforms, workgroups: grid(e, db.size), defines: NO_DEFINES });
  return db;
}

// ---- convTranspose2d

/** y = conv_transpose2d(x, w) + bias: x [N, Cin, H, W], w [Cin, Cout, KH, KW] (PyTorch ConvTranspose2d
 *  layout), y [N, Cout, outH, outW]; geometry from torchConvTranspose2d() or tfConvTranspose2dSame(). */
export function convTranspose2d(e: Engine, x: Tensor, w: Tensor, opts: ConvTranspose2dGeometry & KernelChoice & { bias?: Tensor }): Tensor {
  const op = 'convTranspose2d';
  const { forward } = convTranspose2dProblems(op, x.shape, w.shape, opts);
  checkBias(op, opts.bias, w.shape[1]);
  return gather(e, op, forward, x, w, opts.impl, opts.bias);
}

/** dL/dx [N, Cin, H, W] of convTranspose2d given dy [N, Cout, outH, outW]. Exactly conv2d(dy, w) with the
 *  same stride and padding (w's [Cin, Cout] layout is conv2d's [Cout, Cin]), computed by the conv2d kernels. */
export function convTranspose2dBackwardInput(e: Engine, dy: Tensor, w: Tensor, inputShape: Shape, opts: ConvTranspose2dGeometry & KernelChoice): Tensor {
  const op = 'convTranspose2dBackwardInput';
  const { out, inputGradient } = convTranspose2dProblems(op, inputShape, w.shape, opts);
  checkOutputGradient(op, dy, out);
  return plan(correlationKernels, op, inputGradient, e.ctx, opts.impl).run(e, op, inputGradient, dy, w, {});
}

/** dL/dw [Cin, Cout, KH, KW] of convTranspose2d with input x, given dy. Exactly conv2dBackwardWeight with
 *  the roles of input and output gradient swapped (dy is the conv's input, x its output gradient). */
export function convTranspose2dBackwardWeight(e: Engine, x: Tensor, dy: Tensor, weightShape: Shape, opts: ConvTranspose2dGeometry & WeightGradientChoice): Tensor {
  const op = 'convTranspose2dBackwardWeight';
  const { out, weightGradient } = convTranspose2dProblems(op, x.shape, weightShape, opts);
  checkOutputGradient(op, dy, out);
  return plan(weightGradientKernels, op, weightGradient, e.ctx, opts.impl).run(e, op, weightGradient, dy, x);
}
