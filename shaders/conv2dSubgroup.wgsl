// Convolutions on subgroups, for CPU adapters (lavapipe, SwiftShader): output channels over the subgroup lanes,
// input pixels shared between the lanes by subgroupShuffle. Kernels: conv3x3Subgroup (3×3, stride 1, a
// 4-row tile, 3 on 4 lanes), further down convKxKSubgroup (any kernel up to 9×9, stride 1 or 2, a 1-row tile, output
// optionally on every other row and column), convNarrowSubgroup (the same correlation for ≤ 4 output channels:
// one output row per lane instead of a channel) and convKxKSubgroupBackwardWeight (its weight gradient);
// packTapsSubgroup and packTapsRows lay their weights out. NCHW f32, over the input padInput (conv2d.wgsl)
// has padded (zero or reflect) once, the same maths as conv2d3x3:
//   y[n,o,i,j] = act(b[o] + Σ_{c,kh,kw} w[o,c,kh,kw] · xp[n, c, i + kh, j + kw])
// so they also serve conv2d's input gradient and ConvTranspose2d (rotated taps; stride 2 as four phases; see
// the header of conv2d.wgsl and conv2d.ts).
//
// Why this shape: a CPU adapter runs the invocations of a subgroup as the lanes of a SIMD register (8 on
// lavapipe with AVX2, 4 on SwiftShader), and Mesa's llvmpipe (lavapipe) turns every storage load whose
// offset is not a compile-time constant into a loop over the lanes, each a bounds check, a scalar load and an
// insert (~10 instructions per component). Loads, not multiply-adds, bound conv2d3x3 there. Here each lane
// owns one output channel o = LANES·ob + lane and a tile of R = TILE_ROWS rows × 8 columns of it (8·R
// accumulators, in registers), so per input channel
//   - a lane loads its own 9 taps (3 vec4),
//   - the 3·(R + 2) vec4 of the (R + 2) × 12 input window are loaded once for all lanes (3·(R + 2) / LANES
//     vec4 per lane, rounded up) and handed round with subgroupShuffle (one vpermd on lavapipe),
//   - and the lane does R · 8 · 9 multiply-adds (288 for R = 4),
// against 4 · 4 · 4 · 9 = 576 for 21 own vec4 loads in conv2d3x3. Measured on lavapipe: 2–3× conv2d3x3 with
// R = 3; R = 4 (18 window vec4, 3 loads a lane with 8 lanes) is 1.15–1.5× R = 3 at VGG shapes (fewer tap
// loads and window rows per output row, and no half-empty last tile on power-of-2 heights); R = 5 or 6 gain
// nothing more. With 4 lanes R stays 3: the 15 window vec4 are the most 4 loads a lane (LaneLoads) hold.
//
// LANES (override, 8 or 4) must not exceed the subgroup size, so that the workgroup of LANES invocations is
// one subgroup and lane l's subgroupShuffle source is invocation l.
//
// Layouts:
//   xp    [N, Cx, Hp, Wp] as vec4, Hp = R·rowTiles + 2, Wp = 8·colTiles + 4 (what the last tiles read;
//         padInput in conv2d.wgsl writes it, 0 beyond the padded image).
//   taps  [OB, Cx, LANES, 3] vec4, OB = ceil(Cy / LANES): lane l of block ob finds w[LANES·ob + l, c, kh, kw]
//         at component 3·kh + kw of its 12 (the last 3 and channels ≥ Cy are 0); packTapsSubgroup writes it.
//   y     [N, Cy, Hy, Wy].
// Bindings: xp, taps, bias (BIAS only) read; y written. packTapsSubgroup: w read, packedTaps written.
// Params: SubgroupConvParams (Cx, Hp, Wp4 = Wp / 4 describe xp; Cy, Hy, Wy describe y; slope for LEAKY_RELU;
// Hc, Wc, outStride, outRow0, outCol0: convKxKSubgroup's output grid, see below);
// packTapsSubgroup reads TapPackParams (rows = Cx, cols = Cy, transposed, flipped as in conv2d's packTaps).
// Dispatch: conv3x3Subgroup [colTiles, rowTiles, N·OB] workgroups of LANES; packTapsSubgroup [1, Cx, OB] of
// 12·LANES.

enable subgroups;

override LANES: u32 = 8u;  // output channels per workgroup, one per invocation: 8 or 4
override TILE_ROWS: u32 = 3u;  // conv3x3Subgroup's output rows per tile: 3, or 4 with 8 lanes
override WINDOW_VECS: u32 = 3u * (TILE_ROWS + 2u);  // vec4 of its input window, ≤ 4·LANES (LaneLoads)

@group(0) @binding(0) var<uniform> params: SubgroupConvParams;
@group(0) @binding(1) var<uniform> packing: TapPackParams;
@group(0) @binding(2) var<storage, read> xp: array<vec4f>;
@group(0) @binding(3) var<storage, read> taps: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> w: array<f32>;
@group(0) @binding(7) var<storage, read_write> packedTaps: array<f32>;

// Columns j0 … j0 + 11 of one input row of the window (the tile's 8 outputs read j0 … j0 + 9).
struct WindowRow { a: vec4f, b: vec4f, c: vec4f }
// Columns j0 … j0 + 7 of one output row.
struct OutputRow { lo: vec4f, hi: vec4f }

// Window row `row` of the lanes' loads (laneLoads.wgsl): vec4 k = 3·row + column block of the 15.
fn windowRow(l: LaneLoads, row: u32) -> WindowRow {
  return WindowRow(laneVec(l, 3u * row), laneVec(l, 3u * row + 1u), laneVec(l, 3u * row + 2u));
}

// Offset in xp (vec4) of window vec4 k of the first input channel, clamped to the WINDOW_VECS that exist.
fn windowAt(n: u32, i0: u32, colTile: u32, k: u32) -> u32 {
  let P = params;
  let kk = min(k, WINDOW_VECS - 1u);
  return n * P.Cx * P.Hp * P.Wp4 + (i0 + kk / 3u) * P.Wp4 + 2u * colTile + kk % 3u;
}

// One kernel row slid along one window row: out[j] = t.x · x[j] + t.y · x[j + 1] + t.z · x[j + 2].
fn kernelRow(t: vec3f, x: WindowRow) -> OutputRow {
  return OutputRow(
    t.x * x.a + t.y * vec4f(x.a.yzw, x.b.x) + t.z * vec4f(x.a.zw, x.b.xy),
    t.x * x.b + t.y * vec4f(x.b.yzw, x.c.x) + t.z * vec4f(x.b.zw, x.c.xy),
  );
}

// acc + the three kernel rows (taps k0, k1, k2) over window rows x0, x1, x2.
fn accumulate(acc: OutputRow, k0: vec3f, k1: vec3f, k2: vec3f, x0: WindowRow, x1: WindowRow, x2: WindowRow) -> OutputRow {
  let r0 = kernelRow(k0, x0);
  let r1 = kernelRow(k1, x1);
  let r2 = kernelRow(k2, x2);
  return OutputRow(acc.lo + r0.lo + r1.lo + r2.lo, acc.hi + r0.hi + r1.hi + r2.hi);
}

fn biasOf(o: u32) -> f32 {
#if BIAS
  return bias[o];
#else
  return 0.0;
#endif
}

// Row i of the tile, bias and activation applied, columns < Wy only.
fn storeRow(acc: OutputRow, o: u32, n: u32, i: u32, j0: u32) {
  let P = params;
  if (i >= P.Hy) { return; }
  let b = biasOf(o);
  let at = ((n * P.Cy + o) * P.Hy + i) * P.Wy + j0;
  for (var s = 0u; s < 4u; s++) {
    if (j0 + s < P.Wy) { y[at + s] = activate(acc.lo[s] + b); }
    if (j0 + 4u + s < P.Wy) { y[at + 4u + s] = activate(acc.hi[s] + b); }
  }
}

@compute @workgroup_size(LANES)
fn conv3x3Subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let P = params;
  let blocks = (P.Cy + LANES - 1u) / LANES;
  let n = wid.z / blocks;
  let ob = wid.z % blocks;
  let i0 = TILE_ROWS * wid.y;
  let plane = P.Hp * P.Wp4;
  // This lane's share of the window: vec4 lane + LANES·m (past the last, the last again).
  var at0 = windowAt(n, i0, wid.x, lane);
  var at1 = windowAt(n, i0, wid.x, lane + LANES);
  var at2 = windowAt(n, i0, wid.x, lane + 2u * LANES);
  var at3 = windowAt(n, i0, wid.x, lane + 3u * LANES);
  var tapAt = (ob * P.Cx * LANES + lane) * 3u;
  var out0 = OutputRow();
  var out1 = OutputRow();
  var out2 = OutputRow();
  var out3 = OutputRow();
  for (var c = 0u; c < P.Cx; c++) {
    var l = LaneLoads(xp[at0], vec4f(), vec4f(), vec4f());
    if (WINDOW_VECS > LANES) { l.m1 = xp[at1]; }
    if (WINDOW_VECS > 2u * LANES) { l.m2 = xp[at2]; }
    if (WINDOW_VECS > 3u * LANES) { l.m3 = xp[at3]; }
    let t0 = taps[tapAt];
    let t1 = taps[tapAt + 1u];
    let t2 = taps[tapAt + 2u];
    at0 += plane;
    at1 += plane;
    at2 += plane;
    at3 += plane;
    tapAt += 3u * LANES;
    let kh0 = t0.xyz;
    let kh1 = vec3f(t0.w, t1.xy);
    let kh2 = vec3f(t1.zw, t2.x);
    let x0 = windowRow(l, 0u);
    let x1 = windowRow(l, 1u);
    let x2 = windowRow(l, 2u);
    let x3 = windowRow(l, 3u);
    let x4 = windowRow(l, 4u);
    out0 = accumulate(out0, kh0, kh1, kh2, x0, x1, x2);
    out1 = accumulate(out1, kh0, kh1, kh2, x1, x2, x3);
    out2 = accumulate(out2, kh0, kh1, kh2, x2, x3, x4);
    if (TILE_ROWS > 3u) { out3 = accumulate(out3, kh0, kh1, kh2, x3, x4, windowRow(l, 5u)); }
  }
  let o = ob * LANES + lane;
  if (o < P.Cy) {
    let j0 = 8u * wid.x;
    storeRow(out0, o, n, i0, j0);
    storeRow(out1, o, n, i0 + 1u, j0);
    storeRow(out2, o, n, i0 + 2u, j0);
    if (TILE_ROWS > 3u) { storeRow(out3, o, n, i0 + 3u, j0); }
  }
}

// taps for conv3x3Subgroup from w [Cy, Cx, 3, 3] (or [Cx, Cy, 3, 3] when transposed, each kernel rotated by
// 180° when flipped), one float per invocation: workgroup (c, ob) writes the LANES · 12 floats of its
// channel and block.
@compute @workgroup_size(12 * LANES)
fn packTapsSubgroup(@builtin(local_invocation_index) e: u32, @builtin(workgroup_id) wid: vec3u) {
  let P = packing;
  let c = i32(wid.y);
  let ob = i32(wid.z);
  let o = ob * i32(LANES) + i32(e / 12u);
  let t = i32(e % 12u);
  var v = 0.0;
  if (t < 9 && o < P.cols) {
    let pair = select(o * P.rows + c, c * P.cols + o, P.transposed != 0);
    v = w[pair * 9 + select(t, 8 - t, P.flipped != 0)];
  }
  packedTaps[(ob * P.rows + c) * 12 * i32(LANES) + i32(e)] = v;
}

// ---- convKxKSubgroup: a KH × KW correlation (each ≤ 9) at stride 1 or 2 on the same plan — one output
// channel per lane, the input shared by subgroupShuffle — for what conv3x3Subgroup does not cover: fast-style's
// 9×9 and stride-2 layers, 5×5, 7×7, and the four phases of a stride-2 transposed convolution. Its tile is one
// output row × 16 columns, and it walks the kernel row by row (kh, a loop) so that any size fits one shader:
//   y[n, o, r0 + os·i, c0 + os·j] = act(b[o] + Σ_{c,kh,kw} w[o,c,kh,kw] · xp[n, c, i·STRIDE + kh, j·STRIDE + kw])
// for i < Hc, j < Wc: the output grid may be a strided subset of y (os = outStride, origin r0, c0), which is
// how a stride-2 transposed convolution writes each of its phases (see conv2d.ts).
// Per input channel and kernel row a lane loads its share of the window row, 16·STRIDE + KW − 1 ≤ 40 columns
// (≤ 10 vec4, 2 loads per lane with 8 lanes, 3 with 4), and per channel block its KW taps (ceil(KW/4) vec4),
// and does 16·KW multiply-adds per block. A workgroup serves KXK_BLOCKS blocks of LANES channels (lane l:
// channels o + k·LANES, k < KXK_BLOCKS), so that narrow kernels, whose window row feeds few multiply-adds
// (48 for 3 × 3 at stride 2 on 34 columns), spend its loads and shuffles on more channels (kxkBlocks() in
// conv2dSubgroup.ts picks it). The kw steps are written out up to 9; those past KW fold away (KW is an override).
// Layouts:
//   xp    [N, Cx, Hp, Wp], Hp = (Hc − 1)·STRIDE + KH, Wp = 4·((colTiles − 1)·4·STRIDE + WV) with
//         WV = ceil((16·STRIDE + KW − 1) / 4) vec4 per window row (padInput writes it).
//   rowTaps [OB, Cx, KH, LANES, TAPV] vec4, TAPV = ceil(KW / 4): lane l's taps kw = 0 … KW−1 of kernel row kh
//         (the rest 0); packTapsRows writes it.
// Params: SubgroupConvParams (Hc, Wc the output grid; outStride, outRow0, outCol0 its place in y).
// packTapsRows: TapPackParams.
// Dispatch: convKxKSubgroup [ceil(Wc / 16), Hc, N·ceil(OB / KXK_BLOCKS)] workgroups of LANES; packTapsRows [KH, Cx, OB] of
// 4·TAPV·LANES.

override KH: u32 = 3u;      // kernel rows
override KW: u32 = 3u;      // kernel columns
override STRIDE: u32 = 1u;  // 1 or 2
override KXK_BLOCKS: u32 = 1u;  // convKxKSubgroup: channel blocks per workgroup (channels per lane), 1 … 4

@group(0) @binding(8) var<storage, read> rowTaps: array<vec4f>;

override TAPV: u32 = (KW + 3u) / 4u;               // vec4 of taps per kernel row
override WV: u32 = (16u * STRIDE + KW + 2u) / 4u;  // vec4 per window row: ceil((16·STRIDE + KW − 1) / 4)

// Columns 0 … 39 of one window row (vec4 k = columns 4k … 4k + 3).
struct WideRow { q0: vec4f, q1: vec4f, q2: vec4f, q3: vec4f, q4: vec4f, q5: vec4f, q6: vec4f, q7: vec4f, q8: vec4f, q9: vec4f }
// Columns j0 … j0 + 15 of the output row.
struct Row16 { v0: vec4f, v1: vec4f, v2: vec4f, v3: vec4f }

fn wideRow(l: LaneLoads) -> WideRow {
  return WideRow(laneVec(l, 0u), laneVec(l, 1u), laneVec(l, 2u), laneVec(l, 3u), laneVec(l, 4u),
                 laneVec(l, 5u), laneVec(l, 6u), laneVec(l, 7u), laneVec(l, 8u), laneVec(l, 9u));
}

// Column k of a window row (k is a constant once inlined: the selects fold to one register).
fn column(r: WideRow, k: u32) -> f32 {
  let q = k / 4u;
  let low = select(select(r.q0, r.q1, q == 1u), select(r.q2, r.q3, q == 3u), q >= 2u);
  let high = select(select(r.q4, r.q5, q == 5u), select(select(r.q6, r.q7, q == 7u), select(r.q8, r.q9, q == 9u), q >= 8u), q >= 6u);
  return select(low, high, q >= 4u)[k % 4u];
}

// The window columns that outputs 4v … 4v + 3 read at tap kw: start = 4v·STRIDE + kw, then every STRIDE-th.
fn columns4(r: WideRow, start: u32) -> vec4f {
  return vec4f(column(r, start), column(r, start + STRIDE), column(r, start + 2u * STRIDE), column(r, start + 3u * STRIDE));
}

// acc + tap w (kernel column kw) times the window row, for all 16 outputs.
fn tap(acc: Row16, r: WideRow, w: f32, kw: u32) -> Row16 {
  let s = 4u * STRIDE;
  return Row16(acc.v0 + w * columns4(r, kw), acc.v1 + w * columns4(r, s + kw), acc.v2 + w * columns4(r, 2u * s + kw), acc.v3 + w * columns4(r, 3u * s + kw));
}

// Offset in xp (vec4) of window vec4 k of row `row` of the first input channel, clamped to the WV that exist.
fn wideAt(n: u32, row: u32, colTile: u32, k: u32) -> u32 {
  let P = params;
  return (n * P.Cx * P.Hp + row) * P.Wp4 + colTile * 4u * STRIDE + min(k, WV - 1u);
}

// Output row i of the grid, columns j0 … j0 + 15 of it (those < Wc), placed in y, bias and activation applied.
fn storeRow16(acc: Row16, o: u32, n: u32, i: u32, j0: u32) {
  let P = params;
  let b = biasOf(o);
  let at = ((n * P.Cy + o) * P.Hy + P.outRow0 + P.outStride * i) * P.Wy + P.outCol0;
  let v = array<vec4f, 4>(acc.v0, acc.v1, acc.v2, acc.v3);
  for (var j = 0u; j < 16u; j++) {
    if (j0 + j < P.Wc) { y[at + P.outStride * (j0 + j)] = activate(v[j / 4u][j % 4u] + b); }
  }
}

@compute @workgroup_size(LANES)
fn convKxKSubgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let P = params;
  let blocks = (P.Cy + LANES - 1u) / LANES;
  let groups = (blocks + KXK_BLOCKS - 1u) / KXK_BLOCKS;
  let n = wid.z / groups;
  let ob = KXK_BLOCKS * (wid.z % groups);
  let i = wid.y;
  // Moving to the next input channel from the last kernel row: one plane on, KH rows back.
  let nextChannel = P.Hp * P.Wp4 - KH * P.Wp4;
  var at0 = wideAt(n, i * STRIDE, wid.x, lane);
  var at1 = wideAt(n, i * STRIDE, wid.x, lane + LANES);
  var at2 = wideAt(n, i * STRIDE, wid.x, lane + 2u * LANES);
  var tapAt = ob * P.Cx * KH * LANES * TAPV + lane * TAPV;
  // Block ob + k's taps (channels o + k·LANES) lie k blocks on; past the last block, block ob's again.
  let blockTaps = P.Cx * KH * LANES * TAPV;
  let block1 = select(0u, blockTaps, ob + 1u < blocks);
  let block2 = select(0u, 2u * blockTaps, ob + 2u < blocks);
  let block3 = select(0u, 3u * blockTaps, ob + 3u < blocks);
  var acc = Row16();
  var acc1 = Row16();
  var acc2 = Row16();
  var acc3 = Row16();
  for (var c = 0u; c < P.Cx; c++) {
    for (var kh = 0u; kh < KH; kh++) {
      var l = LaneLoads(xp[at0], vec4f(), vec4f(), vec4f());
      if (WV > LANES) { l.m1 = xp[at1]; }
      if (WV > 2u * LANES) { l.m2 = xp[at2]; }
      let r = wideRow(l);
      acc = kernelRowTaps(acc, r, tapAt);
      if (KXK_BLOCKS > 1u) { acc1 = kernelRowTaps(acc1, r, tapAt + block1); }
      if (KXK_BLOCKS > 2u) { acc2 = kernelRowTaps(acc2, r, tapAt + block2); }
      if (KXK_BLOCKS > 3u) { acc3 = kernelRowTaps(acc3, r, tapAt + block3); }
      at0 += P.Wp4;
      at1 += P.Wp4;
      at2 += P.Wp4;
      tapAt += LANES * TAPV;
    }
    at0 += nextChannel;
    at1 += nextChannel;
    at2 += nextChannel;
  }
  let o = ob * LANES + lane;
  if (o < P.Cy) { storeRow16(acc, o, n, i, 16u * wid.x); }
  if (KXK_BLOCKS > 1u && o + LANES < P.Cy) { storeRow16(acc1, o + LANES, n, i, 16u * wid.x); }
  if (KXK_BLOCKS > 2u && o + 2u * LANES < P.Cy) { storeRow16(acc2, o + 2u * LANES, n, i, 16u * wid.x); }
  if (KXK_BLOCKS > 3u && o + 3u * LANES < P.Cy) { storeRow16(acc3, o + 3u * LANES, n, i, 16u * wid.x); }
}

// acc + one kernel row, its KW taps at rowTaps[at …], slid along window row r.
fn kernelRowTaps(acc: Row16, r: WideRow, at: u32) -> Row16 {
  let t0 = rowTaps[at];
  var t1 = vec4f();
  var t2 = vec4f();
  if (TAPV > 1u) { t1 = rowTaps[at + 1u]; }
  if (TAPV > 2u) { t2 = rowTaps[at + 2u]; }
  var a = tap(acc, r, t0.x, 0u);
  if (KW > 1u) { a = tap(a, r, t0.y, 1u); }
  if (KW > 2u) { a = tap(a, r, t0.z, 2u); }
  if (KW > 3u) { a = tap(a, r, t0.w, 3u); }
  if (KW > 4u) { a = tap(a, r, t1.x, 4u); }
  if (KW > 5u) { a = tap(a, r, t1.y, 5u); }
  if (KW > 6u) { a = tap(a, r, t1.z, 6u); }
  if (KW > 7u) { a = tap(a, r, t1.w, 7u); }
  if (KW > 8u) { a = tap(a, r, t2.x, 8u); }
  return a;
}

// ---- convNarrowSubgroup: the correlation of convKxKSubgroup for narrow outputs (Cy ≤ 4: the to-RGB layers of
// the generators), where one channel per lane would leave most lanes idle. Here lane r owns output row
// i = LANES·rb + r, 8 columns j0 = 8·cb …, and all COUT channels (COUT·8 accumulators); the taps, the same for
// every lane, are what is shared: per input channel and kernel row a lane loads its own window row (WVN
// vec4) and its share of the COUT·KW taps (4·TAPV vec4 of rowTaps packed for 4 lanes = 4 channels), handed
// round by subgroupShuffle, and does COUT·KW·8 multiply-adds (216 for 3 channels of a 9 × 9 kernel, on
// 6 vec4 loads, against 54 per lane on 5 with one channel per lane).
// Layouts:
//   xp    [N, Cx, Hp, Wp], Hp = (Hy − 1)·STRIDE + KH, Wp = 4·((colTiles − 1)·2·STRIDE + WVN), colTiles =
//         ceil(Wy / 8) (narrowPaddedSize).
//   rowTaps as packTapsRows writes it for LANES = 4: [1, Cx, KH, 4, 4·TAPV] (channels ≥ Cy are 0).
// Params: SubgroupConvParams (Cx, Hp, Wp4; Cy, Hy, Wy; slope). Dispatch [ceil(Wy / 8), ceil(Hy / LANES), N]
// workgroups of LANES.

override COUT: u32 = 3u;                          // output channels, 1 … 4
override WVN: u32 = (8u * STRIDE + KW + 2u) / 4u;  // vec4 per window row of 8 outputs: ceil((8·STRIDE + KW − 1) / 4)

// acc + tap w (kernel column kw) times the lane's window row, for its 8 outputs.
fn tap8(acc: OutputRow, r: WideRow, w: f32, kw: u32) -> OutputRow {
  return OutputRow(acc.lo + w * columns4(r, kw), acc.hi + w * columns4(r, 4u * STRIDE + kw));
}

// Tap (o, kw) of the current kernel row: component kw mod 4 of shared vec4 o·TAPV + kw / 4.
fn narrowTap(l: LaneLoads, o: u32, kw: u32) -> f32 {
  return laneVec(l, o * TAPV + kw / 4u)[kw % 4u];
}

// acc + one kernel row of output channel o over the lane's window row.
fn narrowRow(acc: OutputRow, r: WideRow, l: LaneLoads, o: u32) -> OutputRow {
  var a = tap8(acc, r, narrowTap(l, o, 0u), 0u);
  if (KW > 1u) { a = tap8(a, r, narrowTap(l, o, 1u), 1u); }
  if (KW > 2u) { a = tap8(a, r, narrowTap(l, o, 2u), 2u); }
  if (KW > 3u) { a = tap8(a, r, narrowTap(l, o, 3u), 3u); }
  if (KW > 4u) { a = tap8(a, r, narrowTap(l, o, 4u), 4u); }
  if (KW > 5u) { a = tap8(a, r, narrowTap(l, o, 5u), 5u); }
  if (KW > 6u) { a = tap8(a, r, narrowTap(l, o, 6u), 6u); }
  if (KW > 7u) { a = tap8(a, r, narrowTap(l, o, 7u), 7u); }
  if (KW > 8u) { a = tap8(a, r, narrowTap(l, o, 8u), 8u); }
  return a;
}

// The lane's window row starting at xp vec4 `at`: WVN vec4, the rest of the 10 zero.
fn ownRow(at: u32) -> WideRow {
  var r = WideRow();
  r.q0 = xp[at];
  r.q1 = xp[at + 1u];
  if (WVN > 2u) { r.q2 = xp[at + 2u]; }
  if (WVN > 3u) { r.q3 = xp[at + 3u]; }
  if (WVN > 4u) { r.q4 = xp[at + 4u]; }
  if (WVN > 5u) { r.q5 = xp[at + 5u]; }
  return r;
}

@compute @workgroup_size(LANES)
fn convNarrowSubgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let P = params;
  let n = wid.z;
  let i = LANES * wid.y + lane;
  // Lanes past the last row repeat it and store nothing; 8 outputs start 8·STRIDE columns = 2·STRIDE vec4 on.
  var at = (n * P.Cx * P.Hp + min(i, P.Hy - 1u) * STRIDE) * P.Wp4 + wid.x * 2u * STRIDE;
  let nextChannel = P.Hp * P.Wp4 - KH * P.Wp4;
  let tapK = min(vec3u(lane) + LANES * vec3u(0u, 1u, 2u), vec3u(4u * TAPV - 1u));
  var tapAt = 0u;
  var a0 = OutputRow();
  var a1 = OutputRow();
  var a2 = OutputRow();
  var a3 = OutputRow();
  for (var c = 0u; c < P.Cx; c++) {
    for (var kh = 0u; kh < KH; kh++) {
      let r = ownRow(at);
      var l = LaneLoads(rowTaps[tapAt + tapK.x], vec4f(), vec4f(), vec4f());
      if (4u * TAPV > LANES) { l.m1 = rowTaps[tapAt + tapK.y]; }
      if (4u * TAPV > 2u * LANES) { l.m2 = rowTaps[tapAt + tapK.z]; }
      a0 = narrowRow(a0, r, l, 0u);
      if (COUT > 1u) { a1 = narrowRow(a1, r, l, 1u); }
      if (COUT > 2u) { a2 = narrowRow(a2, r, l, 2u); }
      if (COUT > 3u) { a3 = narrowRow(a3, r, l, 3u); }
      at += P.Wp4;
      tapAt += 4u * TAPV;
    }
    at += nextChannel;
  }
  // storeRow skips rows past Hy.
  let j0 = 8u * wid.x;
  storeRow(a0, 0u, n, i, j0);
  if (COUT > 1u) { storeRow(a1, 1u, n, i, j0); }
  if (COUT > 2u) { storeRow(a2, 2u, n, i, j0); }
  if (COUT > 3u) { storeRow(a3, 3u, n, i, j0); }
}

// ---- convKxKSubgroupBackwardWeight: the weight gradient of the same correlation (conv2dBackwardWeight, and
// convTranspose2dBackwardWeight with input and output gradient swapped), on the same plan turned round —
// lane = output channel o, the input row shared by subgroupShuffle — but summing over the outputs instead:
//   dw[o, c, kh, kw] = Σ_{n,i,j} dy[n, o, i, j] · xp[n, c, i·STRIDE + kh, j·STRIDE + kw]
// Workgroup (c, kernel-row group, ob) owns kernel rows kh0 … kh0 + ROWS − 1 (kh0 = ROWS·group, ROWS =
// min(KH, 3)) of input channel c for LANES output channels: ROWS·KW accumulators per lane. Per output row i
// and 16 columns, a lane loads its 16 dy values (4 vec4) once and, per kernel row, its share of the window
// row (WV vec4 as in convKxKSubgroup), then does 16·KW multiply-adds: 144 for 3 × 3 against 7 vec4 loads.
// Layouts:
//   xp    as convKxKSubgroup's, for an output grid of Hy × Wy (kxkPaddedSize).
//   dyp   [N, Cy, Hy, Wy] as vec4, Wy a multiple of 16 (zeros past the real width: padInput writes it).
//   dw    [Cy, Cx, KH, KW].
// Params: SubgroupConvParams (N; Cx, Hp, Wp4 describe xp; Cy, Hy, Wy describe dyp).
// Dispatch: [Cx, ceil(KH / ROWS), OB] workgroups of LANES.

override ROWS: u32 = min(KH, 3u);  // kernel rows per workgroup

@group(0) @binding(9) var<storage, read> dyp: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> dw: array<f32>;

// The gradient of kernel columns 0 … 8 of one kernel row (those ≥ KW stay 0).
struct RowGrad { a: vec4f, b: vec4f, c: f32 }

// Window row starting at xp vec4 `at`, its WV vec4 loaded by the lanes and handed round.
fn windowRowAt(at: u32, lane: u32) -> WideRow {
  var l = LaneLoads(xp[at + min(lane, WV - 1u)], vec4f(), vec4f(), vec4f());
  if (WV > LANES) { l.m1 = xp[at + min(lane + LANES, WV - 1u)]; }
  if (WV > 2u * LANES) { l.m2 = xp[at + min(lane + 2u * LANES, WV - 1u)]; }
  return wideRow(l);
}

// Σ over 16 outputs of dy times the window column each read at tap kw (the transpose of tap()).
fn tapGrad(r: WideRow, d: Row16, kw: u32) -> f32 {
  let s = 4u * STRIDE;
  return dot(d.v0, columns4(r, kw)) + dot(d.v1, columns4(r, s + kw)) + dot(d.v2, columns4(r, 2u * s + kw)) + dot(d.v3, columns4(r, 3u * s + kw));
}

fn rowGrad(acc: RowGrad, r: WideRow, d: Row16) -> RowGrad {
  var g = acc;
  g.a.x += tapGrad(r, d, 0u);
  if (KW > 1u) { g.a.y += tapGrad(r, d, 1u); }
  if (KW > 2u) { g.a.z += tapGrad(r, d, 2u); }
  if (KW > 3u) { g.a.w += tapGrad(r, d, 3u); }
  if (KW > 4u) { g.b.x += tapGrad(r, d, 4u); }
  if (KW > 5u) { g.b.y += tapGrad(r, d, 5u); }
  if (KW > 6u) { g.b.z += tapGrad(r, d, 6u); }
  if (KW > 7u) { g.b.w += tapGrad(r, d, 7u); }
  if (KW > 8u) { g.c += tapGrad(r, d, 8u); }
  return g;
}

fn storeRowGrad(g: RowGrad, o: u32, c: u32, kh: u32) {
  let at = ((o * params.Cx + c) * KH + kh) * KW;
  let v = array<f32, 9>(g.a.x, g.a.y, g.a.z, g.a.w, g.b.x, g.b.y, g.b.z, g.b.w, g.c);
  for (var kw = 0u; kw < KW; kw++) { dw[at + kw] = v[kw]; }
}

@compute @workgroup_size(LANES)
fn convKxKSubgroupBackwardWeight(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let P = params;
  let c = wid.x;
  let kh0 = ROWS * wid.y;
  let rows = min(ROWS, KH - kh0);
  let o = LANES * wid.z + lane;
  let oRead = min(o, P.Cy - 1u);  // lanes past Cy repeat the last channel and store nothing
  let chunks = P.Wy / 16u;
  var g0 = RowGrad();
  var g1 = RowGrad();
  var g2 = RowGrad();
  for (var n = 0u; n < P.N; n++) {
    for (var i = 0u; i < P.Hy; i++) {
      var dyAt = ((n * P.Cy + oRead) * P.Hy + i) * (P.Wy / 4u);
      var at = ((n * P.Cx + c) * P.Hp + i * STRIDE + kh0) * P.Wp4;
      for (var t = 0u; t < chunks; t++) {
        let d = Row16(dyp[dyAt], dyp[dyAt + 1u], dyp[dyAt + 2u], dyp[dyAt + 3u]);
        g0 = rowGrad(g0, windowRowAt(at, lane), d);
        if (ROWS > 1u && rows > 1u) { g1 = rowGrad(g1, windowRowAt(at + P.Wp4, lane), d); }
        if (ROWS > 2u && rows > 2u) { g2 = rowGrad(g2, windowRowAt(at + 2u * P.Wp4, lane), d); }
        dyAt += 4u;
        at += 4u * STRIDE;
      }
    }
  }
  if (o < P.Cy) {
    storeRowGrad(g0, o, c, kh0);
    if (rows > 1u) { storeRowGrad(g1, o, c, kh0 + 1u); }
    if (rows > 2u) { storeRowGrad(g2, o, c, kh0 + 2u); }
  }
}

// rowTaps for convKxKSubgroup, one float per invocation: workgroup (kh, c, ob) writes LANES · 4·TAPV floats.
// Tap (kh, kw) of output channel o and input channel c comes from w [Cy, Cx, srcKH, srcKW] (or [Cx, Cy, …]
// when transposed) at row phaseRow + phaseStep·(KH − 1 − kh) when phaseStep > 0 (a transposed convolution's
// phase, rotated), else kh (KH − 1 − kh when flipped); columns alike.
@compute @workgroup_size(4u * TAPV * LANES)
fn packTapsRows(@builtin(local_invocation_index) e: u32, @builtin(workgroup_id) wid: vec3u) {
  let P = packing;
  let kh = i32(wid.x);
  let c = i32(wid.y);
  let ob = i32(wid.z);
  let perLane = 4u * TAPV;
  let o = ob * i32(LANES) + i32(e / perLane);
  let kw = i32(e % perLane);
  var v = 0.0;
  if (kw < i32(KW) && o < P.cols) {
    let pair = select(o * P.rows + c, c * P.cols + o, P.transposed != 0);
    var sh = select(kh, i32(KH) - 1 - kh, P.flipped != 0);
    var sw = select(kw, i32(KW) - 1 - kw, P.flipped != 0);
    if (P.phaseStep > 0) {
      sh = P.phaseRow + P.phaseStep * (i32(KH) - 1 - kh);
      sw = P.phaseCol + P.phaseStep * (i32(KW) - 1 - kw);
    }
    v = w[(pair * P.srcKH + sh) * P.srcKW + sw];
  }
  packedTaps[((ob * P.rows + c) * i32(KH) + kh) * i32(LANES * perLane) + i32(e)] = v;
}

