// 2-D convolution family (shaders/conv2d.wgsl): conv2d forward (naive, register-blocked, and a direct 3×3
// stride-1 kernel) with fused bias and activation, its input, weight and bias gradients, and ConvTranspose2d
// with its gradients, all in PyTorch's NCHW / weight layouts. Padding is given per side so PyTorch's
// symmetric padding and TensorFlow's asymmetric SAME padding are both expressible.
import type { Engine } from '../runtime/engine.ts';
import { type KernelSpec, grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/conv2d.wgsl?raw';
import { type ConvTranspose2dGeometry, NO_PADDING, type Padding, conv2dOutputShape, convTransposeMismatch, paddingOf } from './geometry.ts';
import epilogueWgsl from '../../shaders/epilogue.wgsl?raw';
import {
  type Lanes, NARROW_MAX_CHANNELS, conv3x3Subgroup, convKxKSubgroup, convKxKSubgroupBackwardWeight, convNarrowSubgroup, narrowPaddedSize, kxkGradientWidth, kxkPaddedSize, kxkSubgroupFits, packTapsRows, packTapsSubgroup, subgroupConvSupported, subgroupLanes, subgroupPaddedSize,
} from './conv2dSubgroup.ts';
import { MATMUL_TILE_COLS, matmulSubgroup, packRows } from './matmulSubgroup.ts';

export type { ConvTranspose2dGeometry, Padding } from './geometry.ts';
export { samePadding, tfConvTranspose2dSame, torchConvTranspose2d } from './geometry.ts';
/** 'reflect' mirrors without repeating the edge, as torch.nn.ReflectionPad2d (every pad < that side's size). */
export type PadMode = 'zeros' | 'reflect';
export type Activation = 'none' | 'relu' | { leakyRelu: number };
/** Outputs per invocation of the blocked kernels: `co` channels (4, 8, 12 or 16) × `px` pixels of a row. */
export interface Tile {
  co: number;
  px: number;
}
/** Direct kernels serve correlations — conv2d, convTranspose2dBackwardInput, and at stride 1 the gathers
 *  conv2dBackwardInput (reflect padding, or zero padding ≤ K − 1 per side) and convTranspose2d (every pad
 *  ≤ K − 1):
 *  - 'subgroup3x3' and 'subgroupKxK' (conv2dSubgroup.wgsl; for CPU adapters: one output channel per
 *    subgroup lane; need the 'subgroups' feature with ≥ 4 invocations per subgroup; `lanes` picks 4 or 8,
 *    default the most the subgroups hold): 3 × 3 at stride 1, and square kernels up to 9 × 9 at stride 1 or 2;
 *  - 'direct3x3': 4 channels × 4 × 4 pixels per invocation, 3 × 3 at stride 1.
 *  conv2d's forward pass alone also has 'subgroup1x1' (matmulSubgroup.wgsl: 1 × 1, stride 1, unpadded, H·W a
 *  multiple of 4, as a matrix product) and 'subgroupNarrow' (conv2dSubgroup.wgsl: ≤ 4 output channels,
 *  kernels up to 9 × 9 at stride 1 or 2, one output row per lane). 'auto' (the default) takes, on a CPU
 *  adapter with subgroups, subgroup1x1, subgroupNarrow (kernels larger than 3 × 3), subgroup3x3 or else
 *  subgroupKxK where they fit; elsewhere direct3x3 for 3 × 3 stride 1; and the blocked kernels otherwise, or whenever a `tile` is
 *  given (tiles are theirs, default defaultTile(output channels)); 'naive' (one output per invocation) is
 *  kept as a reference for tests and benchmarks. */
export interface KernelChoice {
  impl?: 'auto' | 'subgroup1x1' | 'subgroupNarrow' | 'subgroup3x3' | 'subgroupKxK' | 'direct3x3' | 'blocked' | 'naive';
  tile?: Tile;
  lanes?: Lanes;
}

/** Weight gradients: 'subgroupKxK' (conv2dSubgroup.wgsl, kernels up to 9 × 9 at stride 1 or 2, subgroups of
 *  ≥ 4 invocations; `lanes` 4 or 8) or 'naive' (one weight per invocation, any geometry, kept as the
 *  reference); 'auto' (the default) takes subgroupKxK on CPU adapters where it fits. */
export interface WeightGradientChoice {
  impl?: 'auto' | 'subgroupKxK' | 'naive';
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
export const ConvParams = uniformStruct('ConvParams', {
  N: i32, Cx: i32, Hx: i32, Wx: i32, Cy: i32, Hy: i32, Wy: i32, KH: i32, KW: i32, stride: i32,
  padTop: i32, padBottom: i32, padLeft: i32, padRight: i32, wpCols: i32, slope: 'f32',
});
export const PackParams = uniformStruct('PackParams', { rows: i32, cols: i32, KH: i32, KW: i32, rowVecs: i32, transposed: i32, flipped: i32 });
const module = shaderModule('conv2d', source, [ConvParams, PackParams], [epilogueWgsl]);

type ConvKernel = KernelSpec<typeof ConvParams.fields>;
const kernels = new Map<string, ConvKernel>();
/** Kernel specs per entry point, bias binding and tile (the bias binding exists only with BIAS defined). */
function convKernel(entryPoint: string, bindings: string[], constants: Record<string, number> = { WG }): ConvKernel {
  const key = `${entryPoint}|${bindings}|${JSON.stringify(constants)}`;
  let k = kernels.get(key);
  if (!k) kernels.set(key, (k = kernel(module, { entryPoint, bindings, uniforms: ConvParams, constants })));
  return k;
}
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

function blockedTile(op: string, c: KernelChoice, channels: number): Tile {
  const t = c.tile ?? defaultTile(channels);
  if (!Number.isInteger(t.co) || t.co % 4 !== 0 || t.co < 4 || t.co > 4 * MAX_VEC || !Number.isInteger(t.px) || t.px < 1 || (t.co / 4) * t.px > MAX_ACC) {
    throw new Error(`${op}: tile ${JSON.stringify(t)} must have co ∈ {4, 8, 12, 16}, px ≥ 1 and (co/4)·px ≤ ${MAX_ACC}`);
  }
  return t;
}

// ---- dispatch

/** ConvParams for the shapes of a kernel's x and y (or dy) bindings; `pad` pads the large one of the two. */
function convParams(x: Shape, y: Shape, kH: number, kW: number, stride: number, pad: Padding, wpCols = 0, slope = 0) {
  return {
    N: x[0], Cx: x[1], Hx: x[2], Wx: x[3], Cy: y[1], Hy: y[2], Wy: y[3], KH: kH, KW: kW, stride,
    padTop: pad.top, padBottom: pad.bottom, padLeft: pad.left, padRight: pad.right, wpCols, slope,
  };
}

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
  const packed = w.derived(`conv2d.packWeights ${transposed} ${tileCo}`, () => {
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
  /** subgroup3x3 and subgroupKxK only: lanes per workgroup (KernelChoice.lanes). */
  lanes?: Lanes;
}

type Direct = 'subgroup3x3' | 'direct3x3' | 'subgroupKxK';

/** Which direct kernel `c` sends a correlation with kernel KH × KW and this stride to, if any. */
function directChoice(e: Engine, op: string, c: KernelChoice, KH: number, KW: number, stride: number): Direct | undefined {
  const fits3x3 = KH === 3 && KW === 3 && stride === 1;
  const fitsKxK = kxkSubgroupFits(KH, KW, stride);
  const impl = c.impl ?? 'auto';
  if (impl === 'subgroup1x1' || impl === 'subgroupNarrow') throw new Error(`${op}: impl '${impl}' serves conv2d's forward pass only`);
  if ((impl === 'direct3x3' || impl === 'subgroup3x3') && !fits3x3) throw new Error(`${op}: impl '${impl}' needs a 3×3 kernel and stride 1, got ${KH}×${KW} stride ${stride}`);
  if (impl === 'subgroupKxK' && !fitsKxK) throw new Error(`${op}: impl 'subgroupKxK' needs a kernel of at most 9×9 and stride 1 or 2, got ${KH}×${KW} stride ${stride}`);
  if ((impl === 'subgroup3x3' || impl === 'subgroupKxK') && !subgroupConvSupported(e.ctx)) {
    throw new Error(`${op}: impl '${impl}' needs the 'subgroups' feature with at least 4 invocations per subgroup; this device has ${e.ctx.features.has('subgroups') ? `${e.ctx.subgroupSize.min}` : 'no subgroups'}`);
  }
  if (c.lanes !== undefined && ((impl !== 'subgroup3x3' && impl !== 'subgroupKxK') || subgroupLanes(e.ctx) < c.lanes)) {
    throw new Error(`${op}: lanes ${c.lanes} needs impl 'subgroup3x3' or 'subgroupKxK' on subgroups of at least ${c.lanes} invocations`);
  }
  if (impl === 'naive' || impl === 'blocked' || (impl === 'auto' && c.tile)) return undefined;
  if (impl !== 'auto') return impl;
  const subgroups = e.ctx.cpuAdapter && subgroupConvSupported(e.ctx);
  if (fits3x3) return subgroups ? 'subgroup3x3' : 'direct3x3';
  return subgroups && fitsKxK ? 'subgroupKxK' : undefined;
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
    throw new Error(`${op}: input ${shapeString(x.shape)} needs more than ${maxDim} workgroups along one dimension to pad; use impl 'blocked'`);
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
 *  subgroupKxK (K × K, stride 1 or 2), subgroup3x3, or packTaps + conv2d3x3 (3 × 3, stride 1); x [N, Cx, H, W]
 *  with H + pad.top + pad.bottom = (Hy − 1)·stride + K (likewise W). */
function directConv(e: Engine, op: string, kind: Direct, x: Tensor, w: Tensor, outShape: Shape, stride: number, pad: Padding, reflect: boolean, layout: TapLayout, { bias, activation = 'none', lanes }: Epilogue = {}): Tensor {
  const [N, Cy, Hy, Wy] = outShape;
  const Cx = x.shape[1];
  const [KH, KW] = w.shape.slice(2);
  const sublanes = lanes ?? subgroupLanes(e.ctx);
  if (kind === 'subgroupKxK') {
    const xp = padInput(e, op, x, pad, reflect, kxkPaddedSize(Hy, Wy, KH, KW, stride));
    const taps = w.derived(`conv2dSubgroup.rowTaps ${layout.transposed} ${layout.flipped} ${sublanes}`, () => packTapsRows(e, w, Cx, Cy, KH, KW, layout, lanes));
    const y = convKxKSubgroup(e, xp, taps, outShape, KH, KW, stride, { bias, activation, lanes });
    xp.release();
    return y;
  }
  if (kind === 'subgroup3x3') {
    const xp = padInput(e, op, x, pad, reflect, subgroupPaddedSize(Hy, Wy));
    const taps = w.derived(`conv2dSubgroup.taps ${layout.transposed} ${layout.flipped} ${sublanes}`, () => packTapsSubgroup(e, w, Cx, Cy, layout, lanes));
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
    throw new Error(`${op}: input ${shapeString(x.shape)} → output ${shapeString(outShape)} needs more than ${maxDim} workgroups along one dimension of the direct 3×3 kernel; use impl 'blocked'`);
  }
  // Rows and columns up to what the last tiles read, columns a multiple of 4 so rows are vec4-aligned.
  const xp = padInput(e, op, x, pad, reflect, [rowBlocks * 4 + 2, colBlocks * 4 + 4]);
  const paddedShape = xp.shape;
  const taps = w.derived(`conv2d.packTaps ${layout.transposed} ${layout.flipped}`, () => {
    const packed = e.empty([chanBlocks * 4 * Cx * 9]);
    const packing = { rows: Cx, cols: Cy, KH: 3, KW: 3, rowVecs: 0, transposed: +layout.transposed, flipped: +layout.flipped };
    e.run(packTaps4Kernel, { bindings: { w, packedTaps: packed }, uniforms: packing, workgroups: [1, Cx, chanBlocks], defines: NO_DEFINES });
    return packed;
  });

  const y = e.empty(outShape);
  const bindings: Record<string, Tensor> = bias ? { xp, taps, y, bias } : { xp, taps, y };
  const defines = { BIAS: !!bias, RELU: activation === 'relu', LEAKY_RELU: typeof activation === 'object', REFLECT: false };
  const slope = typeof activation === 'object' ? activation.leakyRelu : 0;
  e.run(convKernel('conv2d3x3', Object.keys(bindings)), { bindings, uniforms: convParams(paddedShape, outShape, 3, 3, 1, NO_PADDING, 0, slope), workgroups: [groups, chanBlocks, N], defines });
  xp.release();
  return y;
}

/** Lanes for running conv2d as matmulSubgroup (a 1 × 1, stride-1, unpadded kernel over H·W a multiple of 4,
 *  on subgroups), or 0. */
function pointwiseLanes(e: Engine, op: string, c: KernelChoice, xs: Shape, KH: number, KW: number, g: Geometry): 0 | Lanes {
  const impl = c.impl ?? 'auto';
  const lanes = subgroupLanes(e.ctx);
  const { top, bottom, left, right } = g.pad;
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  const positions = xs[2] * xs[3];
  const fits = KH === 1 && KW === 1 && g.stride === 1 && !top && !bottom && !left && !right && positions % 4 === 0 && Math.ceil(positions / MATMUL_TILE_COLS) <= maxDim;
  if (impl === 'subgroup1x1') {
    if (!fits) throw new Error(`${op}: impl 'subgroup1x1' needs a 1×1 kernel, stride 1, no padding and H·W a multiple of 4 (at most ${MATMUL_TILE_COLS * maxDim}), got ${KH}×${KW} stride ${g.stride} on ${xs[2]}×${xs[3]}`);
    if (!lanes) throw new Error(`${op}: impl 'subgroup1x1' needs the 'subgroups' feature with at least 4 invocations per subgroup`);
    if (c.lanes !== undefined && lanes < c.lanes) throw new Error(`${op}: lanes ${c.lanes} needs subgroups of at least ${c.lanes} invocations`);
    return c.lanes ?? lanes;
  }
  return impl === 'auto' && !c.tile && fits && e.ctx.cpuAdapter ? lanes : 0;
}

/** Lanes for running conv2d on convNarrowSubgroup (≤ 4 output channels, kernels up to 9 × 9 at stride 1 or
 *  2, on subgroups; under 'auto' only kernels larger than 3 × 3), or 0. */
function narrowLanes(e: Engine, op: string, c: KernelChoice, Cy: number, KH: number, KW: number, stride: number): 0 | Lanes {
  const impl = c.impl ?? 'auto';
  const lanes = subgroupLanes(e.ctx);
  const fits = Cy <= NARROW_MAX_CHANNELS && kxkSubgroupFits(KH, KW, stride);
  if (impl === 'subgroupNarrow') {
    if (!fits) throw new Error(`${op}: impl 'subgroupNarrow' needs at most ${NARROW_MAX_CHANNELS} output channels and a kernel of at most 9×9 at stride 1 or 2, got ${Cy} channels, ${KH}×${KW} stride ${stride}`);
    if (!lanes) throw new Error(`${op}: impl 'subgroupNarrow' needs the 'subgroups' feature with at least 4 invocations per subgroup`);
    if (c.lanes !== undefined && lanes < c.lanes) throw new Error(`${op}: lanes ${c.lanes} needs subgroups of at least ${c.lanes} invocations`);
    return c.lanes ?? lanes;
  }
  // Measured on lavapipe for 3 channels: 1.4× subgroupKxK at 7 × 7, 1.75× at 9 × 9, but 0.9× subgroup3x3 at 3 × 3.
  return impl === 'auto' && !c.tile && fits && KH * KW > 9 && e.ctx.cpuAdapter ? lanes : 0;
}

/** y [N, Cy, Hy, Wy] = the correlation of x with w [Cy, Cx, KH, KW] (header of conv2d.wgsl). */
function correlate(e: Engine, op: string, x: Tensor, w: Tensor, outShape: Shape, g: Geometry, c: KernelChoice, { bias, activation = 'none' }: Epilogue = {}): Tensor {
  const [KH, KW] = w.shape.slice(2);
  const pointwise = pointwiseLanes(e, op, c, x.shape, KH, KW, g);
  if (pointwise) {
    const [N, Cy, Hy, Wy] = outShape;
    const Cx = x.shape[1];
    const rows = w.derived('matmulSubgroup.rows', () => packRows(e, w, Cy, Cx));
    return matmulSubgroup(e, rows, x, { N, M: Cy, K: Cx, P: Hy * Wy }, { bias, activation, lanes: pointwise, outShape });
  }
  const narrow = narrowLanes(e, op, c, outShape[1], KH, KW, g.stride);
  if (narrow) {
    const [, Cy, Hy, Wy] = outShape;
    const xp = padInput(e, op, x, g.pad, g.reflect, narrowPaddedSize(Hy, Wy, KH, KW, g.stride));
    const taps = w.derived('conv2dSubgroup.rowTaps false false 4', () => packTapsRows(e, w, x.shape[1], Cy, KH, KW, { transposed: false, flipped: false }, 4));
    const y = convNarrowSubgroup(e, xp, taps, outShape, KH, KW, g.stride, { bias, activation, lanes: narrow });
    xp.release();
    return y;
  }
  const direct = directChoice(e, op, c, KH, KW, g.stride);
  if (direct) return directConv(e, op, direct, x, w, outShape, g.stride, g.pad, g.reflect, { transposed: false, flipped: false }, { bias, activation, lanes: c.lanes });
  const y = e.empty(outShape);
  const defines = { BIAS: !!bias, RELU: activation === 'relu', LEAKY_RELU: typeof activation === 'object', REFLECT: g.reflect };
  const slope = typeof activation === 'object' ? activation.leakyRelu : 0;
  const withBias = (b: Record<string, Tensor>) => (bias ? { ...b, bias } : b);
  if (c.impl === 'naive') {
    const bindings = withBias({ x, w, y });
    const uniforms = convParams(x.shape, outShape, KH, KW, g.stride, g.pad, 0, slope);
    e.run(convKernel('conv2dNaive', Object.keys(bindings)), { bindings, uniforms, workgroups: grid(e, y.size), defines });
    return y;
  }
  const tile = blockedTile(op, c, outShape[1]);
  const { packed, rowVecs } = packWeights(e, w, true, tile.co);
  const [N, Cy, Hy, Wy] = outShape;
  const n = N * Math.ceil(Cy / tile.co) * Hy * Math.ceil(Wy / tile.px);
  const bindings = withBias({ x, wp: packed, y });
  const k = convKernel('conv2dBlocked', Object.keys(bindings), { WG, CO_TILE: tile.co, PX_TILE: tile.px });
  const uniforms = convParams(x.shape, outShape, KH, KW, g.stride, g.pad, rowVecs, slope);
  e.run(k, { bindings, uniforms, workgroups: grid(e, n), defines });
  return y;
}

/** Whether a stride-2 gather runs as four convKxKSubgroup phases: asked for, or 'auto' on a CPU adapter with
 *  subgroups. */
function usePhases(e: Engine, c: KernelChoice): boolean {
  const impl = c.impl ?? 'auto';
  return impl === 'subgroupKxK' || (impl === 'auto' && !c.tile && e.ctx.cpuAdapter && subgroupConvSupported(e.ctx));
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
      const taps = w.derived(`conv2dSubgroup.rowTaps phase ${a} ${b} ${sublanes}`, () =>
        packTapsRows(e, w, Cx, Cy, r.taps, q.taps, { transposed: true, flipped: false, phase: { row: a, col: b, step: 2 } }, lanes));
      const grid = { Hc: r.count, Wc: q.count, outStride: 2, outRow0: r.first, outCol0: q.first };
      convKxKSubgroup(e, xp, taps, outShape, r.taps, q.taps, 1, { bias, lanes, grid, into: y });
      xp.release();
    }
  }
  return y;
}

/** The adjoint gather: x on the small grid, w [Cx, Cy, KH, KW], y = outShape on the large grid that `pad`
 *  pads. Reflect padding: the gather onto the padded image (no padding), then reflectPadBackward folds it. */
function gather(e: Engine, op: string, x: Tensor, w: Tensor, outShape: Shape, g: Geometry, c: KernelChoice, bias?: Tensor): Tensor {
  const [KH, KW] = w.shape.slice(2);
  if (g.reflect) {
    const { top, bottom, left, right } = g.pad;
    const [N, C, H, W] = outShape;
    const paddedShape = [N, C, H + top + bottom, W + left + right];
    const padded = gather(e, op, x, w, paddedShape, { stride: g.stride, pad: NO_PADDING, reflect: false }, c);
    const dx = e.empty(outShape);
    const uniforms = convParams(paddedShape, outShape, 1, 1, 1, g.pad);
    e.run(convKernel('reflectPadBackward', ['dy', 'dx']), { bindings: { dy: padded, dx }, uniforms, workgroups: grid(e, dx.size), defines: NO_DEFINES });
    padded.release();
    return dx;
  }
  const { top, bottom, left, right } = g.pad;
  // With s = 1 the gather is a correlation of x zero-padded by K − 1 − pad with the rotated, transposed kernel
  // (square kernels here), so the direct kernels serve it when every pad ≤ K − 1.
  // Stride 1: the gather is a correlation of x zero-padded by K − 1 − pad with the rotated, transposed kernel,
  // so the direct kernels serve it when every pad ≤ K − 1. Stride 2: four such correlations, one per phase.
  if (g.stride === 1 && top <= KH - 1 && bottom <= KH - 1 && left <= KW - 1 && right <= KW - 1) {
    const direct = directChoice(e, op, c, KH, KW, 1);
    const pad = { top: KH - 1 - top, bottom: KH - 1 - bottom, left: KW - 1 - left, right: KW - 1 - right };
    if (direct) return directConv(e, op, direct, x, w, outShape, 1, pad, false, { transposed: true, flipped: true }, { bias, lanes: c.lanes });
  } else if (g.stride === 2 && KH >= 2 && KW >= 2 && KH <= 18 && KW <= 18 && usePhases(e, c)) {
    return gatherPhases(e, op, x, w, outShape, g.pad, bias, c.lanes);
  }
  if (c.impl === 'direct3x3' || c.impl === 'subgroup3x3' || c.impl === 'subgroupKxK') {
    throw new Error(`${op}: impl '${c.impl}' serves this gather only at stride 1 with every pad ≤ K − 1 (or, subgroupKxK, at stride 2 with kernels of 2…18), got ${KH}×${KW}, stride ${g.stride} and ${JSON.stringify(g.pad)}`);
  }
  const y = e.empty(outShape);
  const defines = { ...NO_DEFINES, BIAS: !!bias };
  const withBias = (b: Record<string, Tensor>) => (bias ? { ...b, bias } : b);
  if (c.impl === 'naive') {
    const bindings = withBias({ x, w, y });
    const uniforms = convParams(x.shape, outShape, KH, KW, g.stride, g.pad);
    e.run(convKernel('convTranspose2dNaive', Object.keys(bindings)), { bindings, uniforms, workgroups: grid(e, y.size), defines });
    return y;
  }
  const tile = blockedTile(op, c, outShape[1]);
  const { packed, rowVecs } = packWeights(e, w, false, tile.co);
  const [N, Cy, Hy, Wy] = outShape;
  const n = N * Math.ceil(Cy / tile.co) * Hy * g.stride * Math.ceil(Math.ceil(Wy / g.stride) / tile.px);
  const bindings = withBias({ x, wp: packed, y });
  const k = convKernel('convTranspose2dBlocked', Object.keys(bindings), { WG, CO_TILE: tile.co, PX_TILE: tile.px });
  const uniforms = convParams(x.shape, outShape, KH, KW, g.stride, g.pad, rowVecs);
  e.run(k, { bindings, uniforms, workgroups: grid(e, n), defines });
  return y;
}

/** dw of the correlation of pad(x) with w, given dy: convKxKSubgroupBackwardWeight where `c` picks it
 *  ('auto' on CPU adapters with subgroups, for kernels up to 9 × 9 at stride 1 or 2), else the naive kernel. */
function weightGradient(e: Engine, op: string, x: Tensor, dy: Tensor, KH: number, KW: number, g: Geometry, c: WeightGradientChoice): Tensor {
  const impl = c.impl ?? 'auto';
  const fits = kxkSubgroupFits(KH, KW, g.stride);
  if (impl === 'subgroupKxK') {
    if (!fits) throw new Error(`${op}: impl 'subgroupKxK' needs a kernel of at most 9×9 and stride 1 or 2, got ${KH}×${KW} stride ${g.stride}`);
    if (!subgroupConvSupported(e.ctx)) throw new Error(`${op}: impl 'subgroupKxK' needs the 'subgroups' feature with at least 4 invocations per subgroup`);
  }
  if (c.lanes !== undefined && (impl !== 'subgroupKxK' || subgroupLanes(e.ctx) < c.lanes)) {
    throw new Error(`${op}: lanes ${c.lanes} needs impl 'subgroupKxK' on subgroups of at least ${c.lanes} invocations`);
  }
  if (impl === 'subgroupKxK' || (impl === 'auto' && fits && e.ctx.cpuAdapter && subgroupConvSupported(e.ctx))) {
    const [, , Hy, Wy] = dy.shape;
    const xp = padInput(e, op, x, g.pad, g.reflect, kxkPaddedSize(Hy, Wy, KH, KW, g.stride));
    const dyp = padInput(e, op, dy, NO_PADDING, false, [Hy, kxkGradientWidth(Wy)]);
    const dw = convKxKSubgroupBackwardWeight(e, xp, dyp, dy.shape, KH, KW, g.stride, c.lanes);
    xp.release();
    dyp.release();
    return dw;
  }
  const dw = e.empty([dy.shape[1], x.shape[1], KH, KW]);
  const uniforms = convParams(x.shape, dy.shape, KH, KW, g.stride, g.pad);
  const defines = { ...NO_DEFINES, REFLECT: g.reflect };
  e.run(convKernel('conv2dBackwardWeight', ['x', 'dy', 'dw']), { bindings: { x, dy, dw }, uniforms, workgroups: grid(e, dw.size), defines });
  return dw;
}

// ---- conv2d

/** Validates x (or its shape) against w [Cout, Cin, KH, KW] and returns the geometry and output shape. */
function conv2dSetup(op: string, xs: Shape, w: Shape, opts: Conv2dGeometry) {
  if (xs.length !== 4) throw new Error(`${op}: input must be 4-D, got ${shapeString(xs)}`);
  const g = resolve(op, opts, xs[2], xs[3]);
  return { g, outShape: conv2dOutputShape(op, xs, w, g.stride, g.pad) };
}

/** y = act(conv2d(pad(x), w) + bias): x [N, Cin, H, W], w [Cout, Cin, KH, KW], bias [Cout];
 *  y [N, Cout, floor((H + top + bottom − KH)/stride) + 1, …]. */
export function conv2d(e: Engine, x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const { g, outShape } = conv2dSetup('conv2d', x.shape, w.shape, opts);
  checkBias('conv2d', opts.bias, w.shape[0]);
  return correlate(e, 'conv2d', x, w, outShape, g, opts, opts);
}

/** dL/dx of conv2d for x of `inputShape`, given dy = dL/d(conv output before any activation): apply the
 *  activation's backward to the gradient first. With reflect padding, gradient reaching a mirrored
 *  position lands on its source pixel. */
export function conv2dBackwardInput(e: Engine, dy: Tensor, w: Tensor, inputShape: Shape, opts: Conv2dGeometry & KernelChoice = {}): Tensor {
  const op = 'conv2dBackwardInput';
  const { g, outShape } = conv2dSetup(op, inputShape, w.shape, opts);
  checkOutputGradient(op, dy, outShape);
  return gather(e, op, dy, w, inputShape, g, opts);
}

/** dL/dw [Cout, Cin, KH, KW] of conv2d with input x, given dy = dL/d(conv output before any activation). */
export function conv2dBackwardWeight(e: Engine, x: Tensor, dy: Tensor, weightShape: Shape, opts: Conv2dGeometry & WeightGradientChoice = {}): Tensor {
  const op = 'conv2dBackwardWeight';
  const { g, outShape } = conv2dSetup(op, x.shape, weightShape, opts);
  checkOutputGradient(op, dy, outShape);
  return weightGradient(e, op, x, dy, weightShape[2], weightShape[3], g, opts);
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

/** Validates x (or its shape) against w [Cin, Cout, KH, KW] and the geometry; returns the conv geometry. */
function transposeSetup(op: string, xs: Shape, w: Shape, t: ConvTranspose2dGeometry): Geometry {
  if (xs.length !== 4) throw new Error(`${op}: input must be 4-D, got ${shapeString(xs)}`);
  if (w.length !== 4) throw new Error(`${op}: weight must be 4-D, got ${shapeString(w)}`);
  checkChannels(op, xs, w, 0);
  const mismatch = convTransposeMismatch(xs[2], xs[3], w[2], w[3], t);
  if (mismatch) throw new Error(`${op}: ${mismatch}`);
  return { stride: t.stride, pad: t.padding, reflect: false };
}

/** y = conv_transpose2d(x, w) + bias: x [N, Cin, H, W], w [Cin, Cout, KH, KW] (PyTorch ConvTranspose2d
 *  layout), y [N, Cout, outH, outW]; geometry from torchConvTranspose2d() or tfConvTranspose2dSame(). */
export function convTranspose2d(e: Engine, x: Tensor, w: Tensor, opts: ConvTranspose2dGeometry & KernelChoice & { bias?: Tensor }): Tensor {
  const g = transposeSetup('convTranspose2d', x.shape, w.shape, opts);
  checkBias('convTranspose2d', opts.bias, w.shape[1]);
  return gather(e, 'convTranspose2d', x, w, [x.shape[0], w.shape[1], opts.outH, opts.outW], g, opts, opts.bias);
}

/** dL/dx [N, Cin, H, W] of convTranspose2d given dy [N, Cout, outH, outW]. Exactly conv2d(dy, w) with the
 *  same stride and padding (w's [Cin, Cout] layout is conv2d's [Cout, Cin]), computed by the conv2d kernels. */
export function convTranspose2dBackwardInput(e: Engine, dy: Tensor, w: Tensor, inputShape: Shape, opts: ConvTranspose2dGeometry & KernelChoice): Tensor {
  const op = 'convTranspose2dBackwardInput';
  const g = transposeSetup(op, inputShape, w.shape, opts);
  checkOutputGradient(op, dy, [inputShape[0], w.shape[1], opts.outH, opts.outW]);
  return correlate(e, op, dy, w, inputShape, g, opts);
}

/** dL/dw [Cin, Cout, KH, KW] of convTranspose2d with input x, given dy. Exactly conv2dBackwardWeight with
 *  the roles of input and output gradient swapped (dy is the conv's input, x its output gradient). */
export function convTranspose2dBackwardWeight(e: Engine, x: Tensor, dy: Tensor, weightShape: Shape, opts: ConvTranspose2dGeometry & WeightGradientChoice): Tensor {
  const op = 'convTranspose2dBackwardWeight';
  const g = transposeSetup(op, x.shape, weightShape, opts);
  checkOutputGradient(op, dy, [x.shape[0], weightShape[1], opts.outH, opts.outW]);
  return weightGradient(e, op, dy, x, weightShape[2], weightShape[3], g, opts);
}
