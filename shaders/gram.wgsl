// Gram matrices of feature maps (Gatys, Ecker & Bethge 2016, "Image Style Transfer Using Convolutional Neural
// Networks", eq. 3) and their backward.
//
// Layout: F, dF [N, C, H, W] f32, each batch item viewed as a C×P matrix (P = H·W, row c = channel c);
//         G, dG [N, C, C] f32.
//   gram:          G[n]  = F[n]·F[n]ᵀ / norm
//   gramBackward:  dF[n] = (dG[n] + dG[n]ᵀ)·F[n] / norm        (G = F·Fᵀ is symmetric in the two uses of F)
// Bindings: F, dG (read), G, dF (read_write); params: GramParams {channels, positions, norm}.
//
// Register blocking, no shared memory: an invocation computes a 4×4 block of G (4 rows × 4 columns, looping over
// P four positions at a time) or a 4×8 block of dF (4 channels × 8 positions, looping over the C channels; 8
// positions share each channel's 8 dG loads, which measured 1.6× faster than 4 on lavapipe).
// G is symmetric: gram skips the blocks below the diagonal and writes each value to both halves.
// Rows past C are clamped on load (their results are never written); positions past P read as 0.
// Define VEC4: P is a multiple of 4, so every row starts 16-byte aligned and F, dF are bound as array<vec4f>.
// Dispatch (nb = ceil(C/4) channel blocks):
//   gram [ceil(nb/TX), ceil(nb/TY), N] (x: column block, y: row block); gramBackward [ceil(pb/TX), ceil(nb/TY), N]
//   with pb = ceil(P/8).

override TX: u32 = 8;
override TY: u32 = 8;

@group(0) @binding(0) var<uniform> params: GramParams;
@group(0) @binding(2) var<storage, read> dG: array<f32>;
@group(0) @binding(3) var<storage, read_write> G: array<f32>;

#if VEC4
@group(0) @binding(1) var<storage, read> F: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> dF: array<vec4f>;

// Positions p..p+3 of global row `row` (= n·C + c).
fn loadF4(row: u32, p: u32) -> vec4f {
  return F[(row * params.positions + p) / 4u];
}

fn storeDF4(row: u32, p: u32, v: vec4f) {
  dF[(row * params.positions + p) / 4u] = v;
}
#else
@group(0) @binding(1) var<storage, read> F: array<f32>;
@group(0) @binding(4) var<storage, read_write> dF: array<f32>;

fn loadF4(row: u32, p: u32) -> vec4f {
  let base = row * params.positions + p;
  var v = vec4f(0.0);
  for (var k = 0u; k < 4u; k++) {
    if (p + k < params.positions) { v[k] = F[base + k]; }
  }
  return v;
}

fn storeDF4(row: u32, p: u32, v: vec4f) {
  let base = row * params.positions + p;
  for (var k = 0u; k < 4u; k++) {
    if (p + k < params.positions) { dF[base + k] = v[k]; }
  }
}
#endif

@compute @workgroup_size(TX, TY)
fn gram(@builtin(global_invocation_id) gid: vec3u) {
  let C = params.channels;
  let nb = (C + 3u) / 4u;
  let bi = gid.y;
  let bj = gid.x;
  if (bi >= nb || bj >= nb || bi > bj) { return; }
  let n = gid.z;
  let lanes = vec4u(0u, 1u, 2u, 3u);
  let rowI = n * C + min(vec4u(bi * 4u) + lanes, vec4u(C - 1u));
  let rowJ = n * C + min(vec4u(bj * 4u) + lanes, vec4u(C - 1u));
  // acc[s][r] = Σ_p F[i0 + r, p]·F[j0 + s, p]
  var acc = mat4x4f();
  for (var p = 0u; p < params.positions; p += 4u) {
    let a = mat4x4f(loadF4(rowI.x, p), loadF4(rowI.y, p), loadF4(rowI.z, p), loadF4(rowI.w, p));
    let b = mat4x4f(loadF4(rowJ.x, p), loadF4(rowJ.y, p), loadF4(rowJ.z, p), loadF4(rowJ.w, p));
    acc += transpose(a) * b;
  }
  let out = n * C * C;
  for (var r = 0u; r < 4u; r++) {
    let i = bi * 4u + r;
    for (var s = 0u; s < 4u; s++) {
      let j = bj * 4u + s;
      if (i < C && j < C) {
        let v = acc[s][r] / params.norm;
        G[out + i * C + j] = v;
        G[out + j * C + i] = v;
      }
    }
  }
}

@compute @workgroup_size(TX, TY)
fn gramBackward(@builtin(global_invocation_id) gid: vec3u) {
  let C = params.channels;
  let P = params.positions;
  let p = gid.x * 8u;
  let i0 = gid.y * 4u;
  if (p >= P || i0 >= C) { return; }
  let n = gid.z;
  let g = n * C * C;
  let ic = min(vec4u(i0) + vec4u(0u, 1u, 2u, 3u), vec4u(C - 1u));
  let second = p + 4u < P;
  // lo[r], hi[r] = Σ_j (dG[i0 + r, j] + dG[j, i0 + r])·F[j, p..p+3], F[j, p+4..p+7]
  var lo = mat4x4f();
  var hi = mat4x4f();
  for (var j = 0u; j < C; j++) {
    let f0 = loadF4(n * C + j, p);
    var f1 = vec4f(0.0);
    if (second) { f1 = loadF4(n * C + j, p + 4u); }
    let s = vec4f(dG[g + ic.x * C + j], dG[g + ic.y * C + j], dG[g + ic.z * C + j], dG[g + ic.w * C + j]) +
            vec4f(dG[g + j * C + ic.x], dG[g + j * C + ic.y], dG[g + j * C + ic.z], dG[g + j * C + ic.w]);
    lo += mat4x4f(s.x * f0, s.y * f0, s.z * f0, s.w * f0);
    hi += mat4x4f(s.x * f1, s.y * f1, s.z * f1, s.w * f1);
  }
  for (var r = 0u; r < 4u; r++) {
    if (i0 + r < C) {
      storeDF4(n * C + i0 + r, p, lo[r] / params.norm);
      if (second) { storeDF4(n * C + i0 + r, p + 4u, hi[r] / params.norm); }
    }
  }
}
