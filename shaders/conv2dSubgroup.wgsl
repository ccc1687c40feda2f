// 3×3 stride-1 correlation for CPU adapters (lavapipe, SwiftShader): one output channel per subgroup lane,
// input pixels shared between the lanes by subgroupShuffle. NCHW f32, the same maths as conv2d3x3 in
// conv2d.wgsl, over the input its padInput has padded (zero or reflect) once:
//   y[n,o,i,j] = act(b[o] + Σ_{c,kh,kw} w[o,c,kh,kw] · xp[n, c, i + kh, j + kw])
// so this file also serves conv2d's input gradient and 3×3 ConvTranspose2d (rotated taps, packed by
// packTapsSubgroup; see the header of conv2d.wgsl).
//
// Why this shape: a CPU adapter runs the invocations of a subgroup as the lanes of a SIMD register (8 on
// lavapipe with AVX2, 4 on SwiftShader), and Mesa's llvmpipe (lavapipe) turns every storage load whose
// offset is not a compile-time constant into a loop over the lanes, each a bounds check, a scalar load and an
// insert (~10 instructions per component). Loads, not multiply-adds, bound conv2d3x3 there. Here each lane
// owns one output channel o = LANES·ob + lane and a tile of 3 rows × 8 columns of it (24 accumulators, in
// registers), so per input channel
//   - a lane loads its own 9 taps (3 vec4),
//   - the 15 vec4 of the 5 × 12 input window are loaded once for all lanes (15 / LANES vec4 per lane, rounded
//     up) and handed round with subgroupShuffle (one vpermd on lavapipe),
//   - and the lane does 3 · 8 · 9 = 216 multiply-adds,
// against 4 · 4 · 4 · 9 = 576 for 21 own vec4 loads in conv2d3x3. Measured on lavapipe: 2–3× conv2d3x3.
//
// LANES (override, 8 or 4) must not exceed the subgroup size, so that the workgroup of LANES invocations is
// one subgroup and lane l's subgroupShuffle source is invocation l.
//
// Layouts:
//   xp    [N, Cx, Hp, Wp] as vec4, Hp = 3·rowTiles + 2, Wp = 8·colTiles + 4 (what the last tiles read;
//         padInput in conv2d.wgsl writes it, 0 beyond the padded image).
//   taps  [OB, Cx, LANES, 3] vec4, OB = ceil(Cy / LANES): lane l of block ob finds w[LANES·ob + l, c, kh, kw]
//         at component 3·kh + kw of its 12 (the last 3 and channels ≥ Cy are 0); packTapsSubgroup writes it.
//   y     [N, Cy, Hy, Wy].
// Bindings: xp, taps, bias (BIAS only) read; y written. packTapsSubgroup: w read, packedTaps written.
// Params: Conv3x3SubgroupParams (Cx, Hp, Wp4 = Wp / 4 describe xp; Cy, Hy, Wy describe y; slope for LEAKY_RELU);
// packTapsSubgroup reads TapPackParams (rows = Cx, cols = Cy, transposed, flipped as in conv2d's packTaps).
// Dispatch: conv3x3Subgroup [colTiles, rowTiles, N·OB] workgroups of LANES; packTapsSubgroup [1, Cx, OB] of
// 12·LANES.

enable subgroups;

override LANES: u32 = 8u;  // output channels per workgroup, one per invocation: 8 or 4

@group(0) @binding(0) var<uniform> params: Conv3x3SubgroupParams;
@group(0) @binding(1) var<uniform> packing: TapPackParams;
@group(0) @binding(2) var<storage, read> xp: array<vec4f>;
@group(0) @binding(3) var<storage, read> taps: array<vec4f>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> w: array<f32>;
@group(0) @binding(7) var<storage, read_write> packedTaps: array<f32>;

// The window vec4 this lane loaded for one input channel: k = lane + LANES·m for load m (4 loads with 4
// lanes; with 8, only 2, and the rest is never read).
struct WindowLoads { m0: vec4f, m1: vec4f, m2: vec4f, m3: vec4f }
// Columns j0 … j0 + 11 of one input row of the window (the tile's 8 outputs read j0 … j0 + 9).
struct WindowRow { a: vec4f, b: vec4f, c: vec4f }
// Columns j0 … j0 + 7 of one output row.
struct OutputRow { lo: vec4f, hi: vec4f }

// Vec4 k (0 … 14) of the window, k = 3·row + column block: lane k mod LANES loaded it, in load k / LANES.
// (k and LANES are constants once the functions are inlined: the selects fold away.)
fn windowVec(l: WindowLoads, k: u32) -> vec4f {
  let m = k / LANES;
  return subgroupShuffle(select(select(l.m0, l.m1, m == 1u), select(l.m2, l.m3, m == 3u), m >= 2u), k % LANES);
}

fn windowRow(l: WindowLoads, row: u32) -> WindowRow {
  return WindowRow(windowVec(l, 3u * row), windowVec(l, 3u * row + 1u), windowVec(l, 3u * row + 2u));
}

// Offset in xp (vec4) of window vec4 k of the first input channel, clamped to the 15 that exist.
fn windowAt(n: u32, i0: u32, colTile: u32, k: u32) -> u32 {
  let P = params;
  let kk = min(k, 14u);
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

fn activate(v: f32) -> f32 {
#if RELU
  return max(v, 0.0);
#elif LEAKY_RELU
  return select(params.slope * v, v, v >= 0.0);
#else
  return v;
#endif
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
  let i0 = 3u * wid.y;
  let plane = P.Hp * P.Wp4;
  // This lane's share of the window: vec4 lane + LANES·m (past the 15th, the 15th again).
  var at0 = windowAt(n, i0, wid.x, lane);
  var at1 = windowAt(n, i0, wid.x, lane + LANES);
  var at2 = windowAt(n, i0, wid.x, lane + 2u * LANES);
  var at3 = windowAt(n, i0, wid.x, lane + 3u * LANES);
  var tapAt = (ob * P.Cx * LANES + lane) * 3u;
  var out0 = OutputRow();
  var out1 = OutputRow();
  var out2 = OutputRow();
  for (var c = 0u; c < P.Cx; c++) {
    var l = WindowLoads(xp[at0], xp[at1], vec4f(), vec4f());
    if (LANES < 8u) {
      l.m2 = xp[at2];
      l.m3 = xp[at3];
    }
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
  }
  let o = ob * LANES + lane;
  if (o < P.Cy) {
    let j0 = 8u * wid.x;
    storeRow(out0, o, n, i0, j0);
    storeRow(out1, o, n, i0 + 1u, j0);
    storeRow(out2, o, n, i0 + 2u, j0);
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
