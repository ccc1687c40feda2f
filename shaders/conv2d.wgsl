// 2-D convolution: conv2d forward (naive, register-blocked and direct 3×3), its backward passes, and the
// transposed convolution, which is the same gather as conv2d's input gradient. NCHW f32, weights in PyTorch
// layout.
//
// Every kernel sees a convolution from a LARGE grid to a SMALL grid (ConvParams):
//   large: the conv input, padded by padTop/padBottom/padLeft/padRight (zero, or with REFLECT mirrored
//          without repeating the edge as torch.nn.ReflectionPad2d; pad(·) below);
//   small: the conv output;   w: [C_small, C_large, KH, KW];   stride s.
//   conv2d (cross-correlation, torch.nn.functional.conv2d), x = large, y = small:
//     y[n,o,i,j] = act(b[o] + Σ_{c,kh,kw} w[o,c,kh,kw] · pad(x)[n, c, i·s + kh, j·s + kw])
//   its adjoint with zero padding, a gather, x = small, y = large (p = u + padTop, q = v + padLeft):
//     y[n,c,u,v] = b[c] + Σ_{k, kh ≡ p, kw ≡ q (mod s)} x[n, k, (p − kh)/s, (q − kw)/s] · w[k,c,kh,kw]
//   This is conv2dBackwardInput (x = dy, no bias) and also ConvTranspose2d (w [Cin,Cout,KH,KW], padding =
//   crop; Dumoulin & Visin, "A guide to convolution arithmetic", 2016, §4). With reflect padding the input
//   gradient is that gather onto the padded image, then reflectPadBackward adds each padded position onto
//   the pixel it was copied from.
//   Weight and bias gradients (x = large, dy = small):
//     dw[o,c,kh,kw] = Σ_{n,i,j} dy[n,o,i,j] · pad(x)[n, c, i·s + kh, j·s + kw],   db[o] = Σ_{n,i,j} dy[n,o,i,j]
// Fused activations live only in the forward; the backward kernels take dy of the pre-activation output.
//
// A 3×3 stride-1 correlation also has a direct path, conv2d3x3, over an input padInput has padded once
// (zero or reflect), so its inner loop has no bounds or padding tests. Its input gradient is itself a 3×3
// stride-1 correlation: dx = corr(pad₀(dy, 2 − pad), w rotated by 180° with Cin and Cout swapped) for every
// pad ≤ 2 (the gather above with s = 1: kh ↦ 2 − kh), so that runs on conv2d3x3 too, as does a stride-1
// 3×3 ConvTranspose2d (Dumoulin & Visin §4.1: a transposed convolution is the convolution with the rotated
// kernel and k − 1 − p padding).
//
// Entry points: conv2dNaive / conv2dBlocked / conv2d3x3 (correlation), convTranspose2dNaive /
// convTranspose2dBlocked (gather), reflectPadBackward, conv2dBackwardWeight, conv2dBackwardBias, and the
// layout passes packWeights (conv2dBlocked, convTranspose2dBlocked), packTaps and padInput (conv2d3x3).
// Bindings: x, w, wp (packed weights, vec4), bias, dy, xp (padded input, vec4), taps (packed taps, vec4) (read);
// y, dx, dw, db, packed, packedTaps, padded (vec4) (read_write).
// Params: ConvParams (Cx, Hx, Wx describe x, Cy, Hy, Wy describe y or dy), PackParams for the packing.
// Dispatch: grid1d over the invocations each entry point names, WG threads per workgroup; conv2d3x3 is 3-D.

override WG: u32 = 64u;
override CO_TILE: u32 = 8u;  // blocked kernels: output channels per invocation, a multiple of 4, ≤ 4·MAX_VEC
override PX_TILE: u32 = 4u;  // blocked kernels: output pixels along a row per invocation
const MAX_VEC = 4;           // CO_TILE / 4 ≤ MAX_VEC
const MAX_ACC = 16;          // (CO_TILE / 4) · PX_TILE ≤ MAX_ACC vec4 accumulators

@group(0) @binding(0) var<uniform> params: ConvParams;
@group(0) @binding(1) var<uniform> packing: PackParams;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> wp: array<vec4f>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> dy: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;
@group(0) @binding(8) var<storage, read_write> dw: array<f32>;
@group(0) @binding(9) var<storage, read_write> db: array<f32>;
@group(0) @binding(10) var<storage, read_write> packed: array<vec4f>;
@group(0) @binding(11) var<storage, read_write> dx: array<f32>;
@group(0) @binding(12) var<storage, read> xp: array<vec4f>;
@group(0) @binding(13) var<storage, read> taps: array<vec4f>;
@group(0) @binding(14) var<storage, read_write> padded: array<vec4f>;
@group(0) @binding(15) var<storage, read_write> packedTaps: array<f32>;

// source(i, size): where padded coordinate i reads (padSource.wgsl).

// The padded coordinates (pad before included) that reflect padding fills from pixel u; -1 = none.
fn reflectedPositions(u: i32, size: i32, before: i32, after: i32) -> vec3i {
  var p = vec3i(u + before, -1, -1);
  if (u > 0 && u <= before) { p.y = before - u; }
  if (u < size - 1 && size - 1 - u <= after) { p.z = before + 2 * (size - 1) - u; }
  return p;
}

fn biasOf(o: i32) -> f32 {
#if BIAS
  return bias[o];
#else
  return 0.0;
#endif
}

// Reference forward: one output per invocation, N·Cy·Hy·Wy invocations.
@compute @workgroup_size(WG)
fn conv2dNaive(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let P = params;
  let idx = i32(flatIndex(gid, nwg, WG));
  if (idx >= P.N * P.Cy * P.Hy * P.Wy) { return; }
  let j = idx % P.Wy;
  let i = (idx / P.Wy) % P.Hy;
  let o = (idx / (P.Wy * P.Hy)) % P.Cy;
  let n = idx / (P.Wy * P.Hy * P.Cy);
  var acc = 0.0;
  for (var c = 0; c < P.Cx; c++) {
    for (var kh = 0; kh < P.KH; kh++) {
      let r = source(i * P.stride + kh - P.padTop, P.Hx);
      if (r < 0) { continue; }
      let xRow = ((n * P.Cx + c) * P.Hx + r) * P.Wx;
      let wRow = ((o * P.Cx + c) * P.KH + kh) * P.KW;
      for (var kw = 0; kw < P.KW; kw++) {
        let q = source(j * P.stride + kw - P.padLeft, P.Wx);
        if (q >= 0) { acc = fma(x[xRow + q], w[wRow + kw], acc); }
      }
    }
  }
  y[idx] = activate(acc + biasOf(o));
}

// Register-blocked forward: each invocation accumulates CO_TILE output channels × PX_TILE consecutive
// output pixels of one row in vec4 registers, so each tap costs PX_TILE scalar x loads and CO_TILE/4 vec4
// weight loads for CO_TILE·PX_TILE multiply-adds. No shared memory: cheap on CPU adapters, and threads of
// a workgroup share weight addresses (broadcast) while their x reads lie side by side.
// wp = packWeights(w): row (c·KH + kh)·KW + kw holds the Cy output channels, zero-padded to a whole number
// of tiles (params.wpCols vec4s), so the loads need no bounds checks.
// Invocations: N · ceil(Cy / CO_TILE) · Hy · ceil(Wy / PX_TILE), pixel blocks fastest.
@compute @workgroup_size(WG)
fn conv2dBlocked(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let P = params;
  let CV = i32(CO_TILE / 4u);
  let PX = i32(PX_TILE);
  let colBlocks = (P.Wy + PX - 1) / PX;
  let chanBlocks = P.wpCols / CV;
  let idx = i32(flatIndex(gid, nwg, WG));
  if (idx >= P.N * chanBlocks * P.Hy * colBlocks) { return; }
  let j0 = (idx % colBlocks) * PX;
  let i = (idx / colBlocks) % P.Hy;
  let ob = (idx / (colBlocks * P.Hy)) % chanBlocks;
  let n = idx / (colBlocks * P.Hy * chanBlocks);

  var acc: array<vec4f, MAX_ACC>;  // acc[p·CV + v]: channels ob·CO_TILE + 4v … 4v+3 at pixel j0 + p
  var wv: array<vec4f, MAX_VEC>;
  for (var c = 0; c < P.Cx; c++) {
    for (var kh = 0; kh < P.KH; kh++) {
      let r = source(i * P.stride + kh - P.padTop, P.Hx);
      if (r < 0) { continue; }
      let xRow = ((n * P.Cx + c) * P.Hx + r) * P.Wx;
      for (var kw = 0; kw < P.KW; kw++) {
        let wRow = ((c * P.KH + kh) * P.KW + kw) * P.wpCols + ob * CV;
        for (var v = 0; v < CV; v++) { wv[v] = wp[wRow + v]; }
        for (var p = 0; p < PX; p++) {
          // Pixels past the row end (last block) redo the last pixel: in range, never written.
          let q = source(min(j0 + p, P.Wy - 1) * P.stride + kw - P.padLeft, P.Wx);
          if (q < 0) { continue; }
          let xv = vec4f(x[xRow + q]);
          for (var v = 0; v < CV; v++) { acc[p * CV + v] = fma(xv, wv[v], acc[p * CV + v]); }
        }
      }
    }
  }
  for (var v = 0; v < CV; v++) {
    for (var l = 0; l < 4; l++) {
      let o = ob * i32(CO_TILE) + 4 * v + l;
      if (o >= P.Cy) { return; }
      let b = biasOf(o);
      let yRow = ((n * P.Cy + o) * P.Hy + i) * P.Wy;
      for (var p = 0; p < PX && j0 + p < P.Wy; p++) { y[yRow + j0 + p] = activate(acc[p * CV + v][l] + b); }
    }
  }
}

// packed[(r·KH + kh)·KW + kw][col / 4] = w[r, col, kh, kw] (w[col, r, kh, kw] when transposed), zero for
// col ≥ cols. One vec4 per invocation.
@compute @workgroup_size(WG)
fn packWeights(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let P = packing;
  let idx = i32(flatIndex(gid, nwg, WG));
  if (idx >= P.rows * P.KH * P.KW * P.rowVecs) { return; }
  let cv = idx % P.rowVecs;
  let tap = (idx / P.rowVecs) % (P.KH * P.KW);
  let r = idx / (P.rowVecs * P.KH * P.KW);
  var v = vec4f(0.0);
  for (var l = 0; l < 4; l++) {
    let col = 4 * cv + l;
    if (col < P.cols) {
      let pair = select(r * P.cols + col, col * P.rows + r, P.transposed != 0);
      v[l] = w[pair * P.KH * P.KW + tap];
    }
  }
  packed[idx] = v;
}

// padded[n, c, r, q] = pad(x)[n, c, r, q] inside the padded image (Hx + padTop + padBottom rows, Wx +
// padLeft + padRight columns; a negative pad crops), 0 beyond it, where the direct kernels' last tiles read.
// Params: x is Cx × Hx × Wx, padded is Hy × Wy with Wy a multiple of 4. Dispatch [ceil(Wy / 4 / WG), Hy,
// N·Cx]: one vec4 per invocation (a vec4 store costs a CPU adapter a quarter of four scalar ones), its
// indices straight from the invocation id (integer division is a scalar loop per lane on CPU adapters), and
// no branches: every load is clamped into x and its value selected away where it is padding.
fn paddedValue(rowStart: i32, rowInside: bool, q: i32) -> f32 {
  let P = params;
  let col = select(-1, source(q - P.padLeft, P.Wx), q < P.Wx + P.padLeft + P.padRight);
  let v = x[rowStart + max(col, 0)];
  return select(0.0, v, rowInside && col >= 0);
}

@compute @workgroup_size(WG)
fn padInput(@builtin(global_invocation_id) gid: vec3u) {
  let P = params;
  let q4 = i32(gid.x);
  let r = i32(gid.y);
  let plane = i32(gid.z);  // n·Cx + c
  if (4 * q4 >= P.Wy) { return; }
  let row = select(-1, source(r - P.padTop, P.Hx), r < P.Hx + P.padTop + P.padBottom);
  let rowStart = (plane * P.Hx + max(row, 0)) * P.Wx;
  let q = 4 * q4;
  padded[(plane * P.Hy + r) * (P.Wy / 4) + q4] = vec4f(
    paddedValue(rowStart, row >= 0, q), paddedValue(rowStart, row >= 0, q + 1),
    paddedValue(rowStart, row >= 0, q + 2), paddedValue(rowStart, row >= 0, q + 3));
}

// packedTaps[((b·rows + r)·KH·KW + t)·CO_TILE + o] = w[c, r, t'] for output channel c = b·CO_TILE + o (w[r, c,
// t'] when transposed), t' = t, or KH·KW − 1 − t (the kernel rotated by 180°) when flipped; 0 for c ≥ cols.
// So conv2d3x3 finds the 9·CO_TILE taps of one input channel and channel block side by side. Dispatch
// [ceil(KH·KW·CO_TILE / WG), rows, ceil(cols / CO_TILE)], one element per invocation.
@compute @workgroup_size(WG)
fn packTaps(@builtin(global_invocation_id) gid: vec3u) {
  let P = packing;
  let CO = i32(CO_TILE);
  let K = P.KH * P.KW;
  let e = i32(gid.x);  // t·CO + o
  let r = i32(gid.y);
  let b = i32(gid.z);
  if (e >= K * CO) { return; }
  let t = e / CO;
  let c = b * CO + e % CO;
  var v = 0.0;
  if (c < P.cols) {
    let pair = select(c * P.rows + r, r * P.cols + c, P.transposed != 0);
    v = w[pair * K + select(t, K - 1 - t, P.flipped != 0)];
  }
  packedTaps[(b * P.rows + r) * K * CO + e] = v;
}

// conv2d3x3: acc[i] += w[i] · x, the outer product of 4 output channels and 4 pixels.
fn outer4(acc: ptr<function, mat4x4f>, w: vec4f, x: vec4f) {
  (*acc)[0] = fma(vec4f(w.x), x, (*acc)[0]);
  (*acc)[1] = fma(vec4f(w.y), x, (*acc)[1]);
  (*acc)[2] = fma(vec4f(w.z), x, (*acc)[2]);
  (*acc)[3] = fma(vec4f(w.w), x, (*acc)[3]);
}

// conv2d3x3: pixels j0 + kw … j0 + kw + 3 of a row whose pixels j0 … j0 + 7 are the aligned vec4s a, b.
fn window4(a: vec4f, b: vec4f, kw: i32) -> vec4f {
  switch kw {
    case 0: { return a; }
    case 1: { return vec4f(a.yzw, b.x); }
    default: { return vec4f(a.zw, b.xy); }
  }
}

// Direct 3×3 stride-1 correlation: y = act(b + Σ_{c,kh,kw} w[o,c,kh,kw] · xp[n, c, i + kh, j + kw]) with xp the
// padded input (padInput: Hx ≥ 4·ceil(Hy/4) + 2 rows, Wx = 4·ceil(Wy/4) + 4 columns, so rows start 16-byte
// aligned and every read is in range: no tap needs a test) and taps = packTaps(w) with CO_TILE = 4 (one vec4
// of 4 output channels per input channel and tap). Each invocation accumulates 4 output channels × 4 rows ×
// 4 pixels in four mat4x4 (acc_r[i][p]: channel i, pixel p of row r). Per input channel it loads six rows
// of 8 pixels (12 vec4) and 9 tap vec4s, 84 values for 576 multiply-adds: on CPU adapters every load whose
// address is not a compile-time constant is a per-lane scalar loop (llvmpipe: ~10 ns per component for 8
// lanes, some 30 multiply-adds' worth), so values loaded per multiply-add is what sets the speed. Everything
// is written out rather than looped over private arrays, which those compilers keep in memory when a loop
// is not unrolled, at a per-lane loop per access; more or larger accumulator blocks measured no faster
// (register spills make the loads dearer). Dispatch [ceil(tiles / WG), ceil(Cy / 4), N], tiles =
// ceil(Hy / 4)·ceil(Wy / 4): the workgroup's y and z pick the channel block and the image.
@compute @workgroup_size(WG)
fn conv2d3x3(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let P = params;
  let colBlocks = (P.Wy + 3) / 4;
  let tile = i32(gid.x);
  if (tile >= colBlocks * ((P.Hy + 3) / 4)) { return; }
  let i0 = tile / colBlocks * 4;
  let j0 = tile % colBlocks * 4;
  let ob = i32(wid.y);
  let n = i32(wid.z);
  let W4 = P.Wx / 4;
  var a0 = mat4x4f();
  var a1 = mat4x4f();
  var a2 = mat4x4f();
  var a3 = mat4x4f();
  var xRow = ((n * P.Cx * P.Hx + i0) * P.Wx + j0) / 4;
  var tRow = ob * P.Cx * 9;
  for (var c = 0; c < P.Cx; c++) {
    let r0a = xp[xRow];
    let r0b = xp[xRow + 1];
    let r1a = xp[xRow + W4];
    let r1b = xp[xRow + W4 + 1];
    let r2a = xp[xRow + 2 * W4];
    let r2b = xp[xRow + 2 * W4 + 1];
    let r3a = xp[xRow + 3 * W4];
    let r3b = xp[xRow + 3 * W4 + 1];
    let r4a = xp[xRow + 4 * W4];
    let r4b = xp[xRow + 4 * W4 + 1];
    let r5a = xp[xRow + 5 * W4];
    let r5b = xp[xRow + 5 * W4 + 1];
    for (var kw = 0; kw < 3; kw++) {
      let x0 = window4(r0a, r0b, kw);
      let x1 = window4(r1a, r1b, kw);
      let x2 = window4(r2a, r2b, kw);
      let x3 = window4(r3a, r3b, kw);
      let x4 = window4(r4a, r4b, kw);
      let x5 = window4(r5a, r5b, kw);
      let w0 = taps[tRow + kw];      // kh = 0
      let w1 = taps[tRow + 3 + kw];  // kh = 1
      let w2 = taps[tRow + 6 + kw];  // kh = 2
      outer4(&a0, w0, x0); outer4(&a1, w0, x1); outer4(&a2, w0, x2); outer4(&a3, w0, x3);
      outer4(&a0, w1, x1); outer4(&a1, w1, x2); outer4(&a2, w1, x3); outer4(&a3, w1, x4);
      outer4(&a0, w2, x2); outer4(&a1, w2, x3); outer4(&a2, w2, x4); outer4(&a3, w2, x5);
    }
    xRow += P.Hx * W4;
    tRow += 9;
  }
  for (var i = 0; i < 4; i++) {
    let o = ob * 4 + i;
    let b = biasOf(min(o, P.Cy - 1));
    for (var p = 0; p < 4; p++) {
      if (o < P.Cy && j0 + p < P.Wy) {
        let at = ((n * P.Cy + o) * P.Hy + i0) * P.Wy + j0 + p;
        y[at] = activate(a0[i][p] + b);
        if (i0 + 1 < P.Hy) { y[at + P.Wy] = activate(a1[i][p] + b); }
        if (i0 + 2 < P.Hy) { y[at + 2 * P.Wy] = activate(a2[i][p] + b); }
        if (i0 + 3 < P.Hy) { y[at + 3 * P.Wy] = activate(a3[i][p] + b); }
      }
    }
  }
}

// Reference gather (header): x = small grid, y = large grid, one y element per invocation (N·Cy·Hy·Wy).
// Taps with kh ≢ p (mod s) never reach p, so the kh, kw loops step by s from the first one that does.
@compute @workgroup_size(WG)
fn convTranspose2dNaive(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let P = params;
  let idx = i32(flatIndex(gid, nwg, WG));
  if (idx >= P.N * P.Cy * P.Hy * P.Wy) { return; }
  let ph = (idx / P.Wy) % P.Hy + P.padTop;
  let pw = idx % P.Wy + P.padLeft;
  let c = (idx / (P.Wy * P.Hy)) % P.Cy;
  let n = idx / (P.Wy * P.Hy * P.Cy);
  var acc = 0.0;
  for (var kh = ph % P.stride; kh < P.KH && kh <= ph; kh += P.stride) {
    let i = (ph - kh) / P.stride;
    if (i >= P.Hx) { continue; }
    for (var kw = pw % P.stride; kw < P.KW && kw <= pw; kw += P.stride) {
      let j = (pw - kw) / P.stride;
      if (j >= P.Wx) { continue; }
      for (var k = 0; k < P.Cx; k++) {
        acc = fma(x[((n * P.Cx + k) * P.Hx + i) * P.Wx + j], w[((k * P.Cy + c) * P.KH + kh) * P.KW + kw], acc);
      }
    }
  }
  y[idx] = acc + biasOf(c);
}

// Register-blocked gather: each invocation accumulates CO_TILE channels × PX_TILE pixels of one y row that
// lie s apart. Such pixels have the same phase (v + padLeft) mod s, hence the same taps kw, and read
// consecutive x pixels for each tap; this is the split of a strided transposed convolution into s² stride-1
// ones. wp = packWeights(w): row (k·KH + kh)·KW + kw holds the Cy channels, whole tiles (wpCols vec4s).
// Invocations: N · ceil(Cy / CO_TILE) · Hy · s · ceil(ceil(Wy / s) / PX_TILE), pixel blocks fastest.
@compute @workgroup_size(WG)
fn convTranspose2dBlocked(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let P = params;
  let CV = i32(CO_TILE / 4u);
  let PX = i32(PX_TILE);
  let s = P.stride;
  let colBlocks = s * (((P.Wy + s - 1) / s + PX - 1) / PX);
  let chanBlocks = P.wpCols / CV;
  let idx = i32(flatIndex(gid, nwg, WG));
  if (idx >= P.N * chanBlocks * P.Hy * colBlocks) { return; }
  let cb = idx % colBlocks;
  let v0 = cb % s + s * PX * (cb / s);  // phase cb mod s, block cb / s
  let u = (idx / colBlocks) % P.Hy;
  let ob = (idx / (colBlocks * P.Hy)) % chanBlocks;
  let n = idx / (colBlocks * P.Hy * chanBlocks);
  let ph = u + P.padTop;
  let pw = v0 + P.padLeft;

  var acc: array<vec4f, MAX_ACC>;  // acc[p·CV + v]: channels ob·CO_TILE + 4v … 4v+3 at pixel v0 + p·s
  var wv: array<vec4f, MAX_VEC>;
  for (var k = 0; k < P.Cx; k++) {
    for (var kh = ph % s; kh < P.KH && kh <= ph; kh += s) {
      let i = (ph - kh) / s;
      if (i >= P.Hx) { continue; }
      let xRow = ((n * P.Cx + k) * P.Hx + i) * P.Wx;
      for (var kw = pw % s; kw < P.KW; kw += s) {
        let j0 = (pw - kw) / s;  // exact, and negative when the tap starts left of x
        let wRow = ((k * P.KH + kh) * P.KW + kw) * P.wpCols + ob * CV;
        for (var v = 0; v < CV; v++) { wv[v] = wp[wRow + v]; }
        for (var p = 0; p < PX; p++) {
          let j = j0 + p;
          if (j < 0 || j >= P.Wx) { continue; }
          let xv = vec4f(x[xRow + j]);
          for (var v = 0; v < CV; v++) { acc[p * CV + v] = fma(xv, wv[v], acc[p * CV + v]); }
        }
      }
    }
  }
  for (var v = 0; v < CV; v++) {
    for (var l = 0; l < 4; l++) {
      let o = ob * i32(CO_TILE) + 4 * v + l;
      if (o >= P.Cy) { return; }
      let b = biasOf(o);
      let yRow = ((n * P.Cy + o) * P.Hy + u) * P.Wy;
      for (var p = 0; p < PX && v0 + p * s < P.Wy; p++) { y[yRow + v0 + p * s] = acc[p * CV + v][l] + b; }
    }
  }
}

// Backward of reflect padding: dx[n,c,u,v] = Σ dy[n,c,p,q] over the padded positions p, q copied from u, v.
// dy is the gradient of the padded image (Hx × Wx), dx that of the image (Hy × Wy); one dx element each.
@compute @workgroup_size(WG)
fn reflectPadBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let P = params;
  let idx = i32(flatIndex(gid, nwg, WG));
  if (idx >= P.N * P.Cy * P.Hy * P.Wy) { return; }
  let rows = reflectedPositions((idx / P.Wy) % P.Hy, P.Hy, P.padTop, P.padBottom);
  let cols = reflectedPositions(idx % P.Wy, P.Wy, P.padLeft, P.padRight);
  let plane = (idx / (P.Wy * P.Hy)) * P.Hx;  // (n·C + c)·Hx
  var acc = 0.0;
  for (var a = 0; a < 3; a++) {
    if (rows[a] < 0) { continue; }
    for (var b = 0; b < 3; b++) {
      if (cols[b] >= 0) { acc += dy[(plane + rows[a]) * P.Wx + cols[b]]; }
    }
  }
  dx[idx] = acc;
}

// dw: one weight per invocation (Cy·Cx·KH·KW), summing over N·Hy·Wy output positions.
@compute @workgroup_size(WG)
fn conv2dBackwardWeight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let P = params;
  let idx = i32(flatIndex(gid, nwg, WG));
  if (idx >= P.Cy * P.Cx * P.KH * P.KW) { return; }
  let kw = idx % P.KW;
  let kh = (idx / P.KW) % P.KH;
  let c = (idx / (P.KW * P.KH)) % P.Cx;
  let o = idx / (P.KW * P.KH * P.Cx);
  var acc = 0.0;
  for (var n = 0; n < P.N; n++) {
    for (var i = 0; i < P.Hy; i++) {
      let r = source(i * P.stride + kh - P.padTop, P.Hx);
      if (r < 0) { continue; }
      let xRow = ((n * P.Cx + c) * P.Hx + r) * P.Wx;
      let dyRow = ((n * P.Cy + o) * P.Hy + i) * P.Wy;
      for (var j = 0; j < P.Wy; j++) {
        let q = source(j * P.stride + kw - P.padLeft, P.Wx);
        if (q >= 0) { acc = fma(dy[dyRow + j], x[xRow + q], acc); }
      }
    }
  }
  dw[idx] = acc;
}

// db: one output channel per invocation (Cy), summing dy over N·Hy·Wy.
@compute @workgroup_size(WG)
fn conv2dBackwardBias(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let P = params;
  let o = i32(flatIndex(gid, nwg, WG));
  if (o >= P.Cy) { return; }
  let plane = P.Hy * P.Wy;
  var acc = 0.0;
  for (var n = 0; n < P.N; n++) {
    let base = (n * P.Cy + o) * plane;
    for (var k = 0; k < plane; k++) { acc += dy[base + k]; }
  }
  db[o] = acc;
}
