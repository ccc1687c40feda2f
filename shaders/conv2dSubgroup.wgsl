// 3×3 stride-1 correlation for CPU adapters (lavapipe, SwiftShader): one output channel per subgroup lane,
// input pixels shared between the lanes by subgroupShuffle. NCHW f32, the same maths as conv2d3x3 in
// conv2d.wgsl, over the input its padInput has padded (zero or reflect) once:
//   y[n,o,i,j] = act(b[o] + Σ_{c,kh,kw} w[o,c,kh,kw] · xp[n, c, i + kh, j + kw])
// so this file also serves conv2d's input gradient and 3×3 ConvTranspose2d (rotated taps, packed by
// packTapsSubgroup; see the header of conv2d.wgsl).
//
// Why this shape: a CPU adapter runs the 8 invocations of a subgroup as the 8 lanes of a SIMD register, and
// Mesa's llvmpipe (lavapipe) turns every storage load whose offset is not a compile-time constant into a
// loop over the lanes, each a bounds check, a scalar load and an insert (~10 instructions per component).
// Loads, not multiply-adds, bound conv2d3x3 there. Here each lane owns one output channel o = 8·ob + lane
// and a tile of 3 rows × 8 columns of it (24 accumulators, in registers), so per input channel
//   - a lane loads its own 9 taps (3 vec4),
//   - the 15 vec4 of the 5 × 12 input window are loaded once for all lanes (2 vec4 per lane) and handed
//     round with subgroupShuffle (one vpermd),
//   - and the lane does 3 · 8 · 9 = 216 multiply-adds,
// against 4 · 4 · 4 · 9 = 576 for 21 own vec4 loads in conv2d3x3. Measured on lavapipe: ~3.5× conv2d3x3.
//
// Needs the 'subgroups' feature and subgroups of at least 8 invocations, so that the workgroup of 8 is one
// subgroup and lane l's subgroupShuffle source is invocation l.
//
// Layouts:
//   xp    [N, Cx, Hp, Wp] as vec4, Hp = 3·rowTiles + 2, Wp = 8·colTiles + 4 (what the last tiles read;
//         padInput in conv2d.wgsl writes it, 0 beyond the padded image).
//   taps  [OB, Cx, 8, 3] vec4, OB = ceil(Cy / 8): lane l of block ob finds w[8·ob + l, c, kh, kw] at
//         component 3·kh + kw of its 12 (the last 3 and channels ≥ Cy are 0); packTapsSubgroup writes it.
//   y     [N, Cy, Hy, Wy].
// Bindings: xp, taps, bias (BIAS only) read; y written. packTapsSubgroup: w read, packedTaps written.
// Params: Conv3x3SubgroupParams (Cx, Hp, Wp4 = Wp / 4 describe xp; Cy, Hy, Wy describe y; slope for LEAKY_RELU);
// packTapsSubgroup reads TapPackParams (rows = Cx, cols = Cy, transposed, flipped as in conv2d's packTaps).
// Dispatch: conv3x3Subgroup [colTiles, rowTiles, N·OB] workgroups of 8; packTapsSubgroup [1, Cx, OB] of 96.

enable subgroups;

const LANES = 8u;  // output channels per workgroup, one per invocation

@group(0) @binding(0) var<uniform> params: Conv3x3SubgroupParams;
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

// Vec4 k (0 … 14) of the window, k = 3·row + column block: lane k mod 8 loaded it, in load k / 8.
fn windowVec(load0: vec4f, load1: vec4f, k: u32) -> vec4f {
  return subgroupShuffle(select(load0, load1, k >= LANES), k % LANES);
}

fn windowRow(load0: vec4f, load1: vec4f, row: u32) -> WindowRow {
  return WindowRow(windowVec(load0, load1, 3u * row), windowVec(load0, load1, 3u * row + 1u), windowVec(load0, load1, 3u * row + 2u));
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

@compute @workgroup_size(8)
fn conv3x3Subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let P = params;
  let blocks = (P.Cy + LANES - 1u) / LANES;
  let n = wid.z / blocks;
  let ob = wid.z % blocks;
  let i0 = 3u * wid.y;
  let plane = P.Hp * P.Wp4;
  // This lane's share of the window: vec4 lane and lane + 8 (the 16th, past the window, repeats the 15th).
  let k0 = lane;
  let k1 = min(lane + LANES, 14u);
  var at0 = n * P.Cx * plane + (i0 + k0 / 3u) * P.Wp4 + 2u * wid.x + k0 % 3u;
  var at1 = n * P.Cx * plane + (i0 + k1 / 3u) * P.Wp4 + 2u * wid.x + k1 % 3u;
  var tapAt = (ob * P.Cx * LANES + lane) * 3u;
  var out0 = OutputRow();
  var out1 = OutputRow();
  var out2 = OutputRow();
  for (var c = 0u; c < P.Cx; c++) {
    let load0 = xp[at0];
    let load1 = xp[at1];
    let t0 = taps[tapAt];
    let t1 = taps[tapAt + 1u];
    let t2 = taps[tapAt + 2u];
    at0 += plane;
    at1 += plane;
    tapAt += 3u * LANES;
    let kh0 = t0.xyz;
    let kh1 = vec3f(t0.w, t1.xy);
    let kh2 = vec3f(t1.zw, t2.x);
    let x0 = windowRow(load0, load1, 0u);
    let x1 = windowRow(load0, load1, 1u);
    let x2 = windowRow(load0, load1, 2u);
    let x3 = windowRow(load0, load1, 3u);
    let x4 = windowRow(load0, load1, 4u);
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
// 180° when flipped), one float per invocation: workgroup (c, ob) writes the 8 · 12 floats of its channel
// and block.
@compute @workgroup_size(96)
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
  packedTaps[(ob * P.rows + c) * 96 + i32(e)] = v;
}
