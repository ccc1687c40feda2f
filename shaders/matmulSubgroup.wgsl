// Matrix products on subgroups, for CPU adapters (lavapipe, SwiftShader), on the plan of conv2dSubgroup.wgsl:
//   matmulSubgroup:  Y[n] = act(A[n]·B[n] + bias),  A[n] [M, K], B[n] [K, P], Y[n] [M, P]
//   gramSubgroup:    G[n] = B[n]·B[n]ᵀ / norm,      B[n] [M, P], G[n] [M, M]  (gram.wgsl's maths)
//   symmetrize:      S[n] = (dG[n] + dG[n]ᵀ) / norm, dG[n] [M, M], written as A (rows)
//   packRows:        A = w [M, K] in A's row layout
// matmulSubgroup serves 1×1 stride-1 convolutions (A = the weights, the same for every n: aStride = 0) and
// the Gram backward dF = S·F (A = S[n]: aStride = M·Kp / 4).
// Lane r of a workgroup of LANES (one subgroup) owns output row m = LANES·mb + r, and 16 vec4 that every lane
// needs are loaded once per step, 16 / LANES per lane, and handed round with subgroupShuffle:
//   - matmulSubgroup, 16 columns p0 = 16·pb …: per 4 steps of k, its own A[m, k … k + 3] and B[k … k + 3,
//     p0 … p0 + 15];
//   - gramSubgroup, 16 columns j0 = 16·jb … of G: per 4 positions, its own B[m, p … p + 3] and B[j0 … j0 + 15,
//     p … p + 3].
// Either way 64 multiply-adds for 4 + 64 / LANES floats loaded (5.3 per float with 8 lanes), where loads — a
// per-lane loop each on llvmpipe — are what bounds these kernels.
//
// Layout: A [N or 1, M, Kp] as vec4, Kp = 4·ceil(K / 4), columns past K zero; B [N, K, P] (gram: [N, M, P]) and
//         Y [N, M, P] as vec4, P a multiple of 4; bias [M]; G, dG [N, M, M]; w [M, K].
// Bindings: A, B, bias (BIAS only), w, dG read; Y, rows (A, written), G read_write.
// Params: MatmulParams {M, K, P, aStride (vec4), slope (LEAKY_RELU), norm (gram, symmetrize)}.
// Dispatch:
//   matmulSubgroup [ceil(P / 16), ceil(M / LANES), N] workgroups of LANES. Rows past M are clamped on load and
//     never stored, rows of B past K clamped (A is 0 there); in the last column block, columns past P read
//     whatever lies there (within the buffer) and are never stored.
//   gramSubgroup [ceil(M / 16), ceil(M / LANES), N] workgroups of LANES: each value goes to both halves of G;
//     blocks wholly below the diagonal return at once.
//   packRows [ceil(Kp / 256), M, 1] and symmetrize [ceil(Mp / 256), M, N] workgroups of 64, a vec4 each.

enable subgroups;

override LANES: u32 = 8u;  // rows per workgroup, one per invocation: 8 or 4

@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> A: array<vec4f>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> Y: array<vec4f>;
@group(0) @binding(5) var<storage, read> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> rows: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> G: array<f32>;
@group(0) @binding(8) var<storage, read> dG: array<f32>;

// This lane's share of the 16 shared vec4 (laneLoads.wgsl): B[at.x], B[at.y] (and B[at.z], B[at.w] with 4 lanes), the offsets
// of vec4 j = lane, lane + LANES, lane + 2·LANES, lane + 3·LANES.
fn loadShared(at: vec4u) -> LaneLoads {
  var l = LaneLoads(B[at.x], B[at.y], vec4f(), vec4f());
  if (LANES < 8u) {
    l.m2 = B[at.z];
    l.m3 = B[at.w];
  }
  return l;
}

fn biasOf(m: u32) -> f32 {
#if BIAS
  return bias[m];
#else
  return 0.0;
#endif
}

@compute @workgroup_size(LANES)
fn matmulSubgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let P = params;
  let P4 = P.P / 4u;
  let Kp4 = (P.K + 3u) / 4u;
  let q0 = 4u * wid.x;  // first of the 4 vec4 columns
  let n = wid.z;
  let m = LANES * wid.y + lane;
  let aRow = n * P.aStride + min(m, P.M - 1u) * Kp4;
  // Shared vec4 j = lane + LANES·s is columns q0 + j mod 4 of row 4·kq + j / 4 of B[n].
  let js = vec4u(lane) + LANES * vec4u(0u, 1u, 2u, 3u);
  let cols = vec4u(n * P.K * P4 + q0) + js % 4u;
  var y0 = vec4f();
  var y1 = vec4f();
  var y2 = vec4f();
  var y3 = vec4f();
  for (var kq = 0u; kq < Kp4; kq++) {
    let a = A[aRow + kq];
    let l = loadShared(cols + min(vec4u(4u * kq) + js / 4u, vec4u(P.K - 1u)) * P4);
    // Column block t += Σ_r a[r] · B[4kq + r, q0 + t]; shared vec4 j = 4r + t.
    y0 += a.x * laneVec(l, 0u) + a.y * laneVec(l, 4u) + a.z * laneVec(l, 8u) + a.w * laneVec(l, 12u);
    y1 += a.x * laneVec(l, 1u) + a.y * laneVec(l, 5u) + a.z * laneVec(l, 9u) + a.w * laneVec(l, 13u);
    y2 += a.x * laneVec(l, 2u) + a.y * laneVec(l, 6u) + a.z * laneVec(l, 10u) + a.w * laneVec(l, 14u);
    y3 += a.x * laneVec(l, 3u) + a.y * laneVec(l, 7u) + a.z * laneVec(l, 11u) + a.w * laneVec(l, 15u);
  }
  if (m >= P.M) { return; }
  let b = vec4f(biasOf(m));
  let row = (n * P.M + m) * P4 + q0;
  if (q0 < P4) { Y[row] = activate4(y0 + b); }
  if (q0 + 1u < P4) { Y[row + 1u] = activate4(y1 + b); }
  if (q0 + 2u < P4) { Y[row + 2u] = activate4(y2 + b); }
  if (q0 + 3u < P4) { Y[row + 3u] = activate4(y3 + b); }
}

// rows[m, k / 4] = w[m, k … k + 3] (zero past K): a [M, K] matrix as matmulSubgroup's A, one vec4 per invocation.
@compute @workgroup_size(64)
fn packRows(@builtin(global_invocation_id) gid: vec3u) {
  let P = params;
  let Kp4 = (P.K + 3u) / 4u;
  let q = gid.x;
  let m = gid.y;
  if (q >= Kp4) { return; }
  var v = vec4f();
  for (var t = 0u; t < 4u; t++) {
    let k = 4u * q + t;
    if (k < P.K) { v[t] = w[m * P.K + k]; }
  }
  rows[m * Kp4 + q] = v;
}

// a · (shared vec4 4t … 4t + 3), one dot each.
fn dots(a: vec4f, l: LaneLoads, t: u32) -> vec4f {
  return vec4f(dot(a, laneVec(l, 4u * t)), dot(a, laneVec(l, 4u * t + 1u)), dot(a, laneVec(l, 4u * t + 2u)), dot(a, laneVec(l, 4u * t + 3u)));
}

@compute @workgroup_size(LANES)
fn gramSubgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let M = params.M;
  let P4 = params.P / 4u;
  let i0 = LANES * wid.y;
  let j0 = 16u * wid.x;
  if (j0 + 15u < i0) { return; }
  let n = wid.z;
  let own = (n * M + min(i0 + lane, M - 1u)) * P4;
  // Shared vec4 j = lane + LANES·s is row j0 + j of B: column j0 + j of G.
  let js = vec4u(lane) + LANES * vec4u(0u, 1u, 2u, 3u);
  var at = (n * M + min(vec4u(j0) + js, vec4u(M - 1u))) * P4;
  var g0 = vec4f();
  var g1 = vec4f();
  var g2 = vec4f();
  var g3 = vec4f();
  for (var q = 0u; q < P4; q++) {
    let a = B[own + q];
    let l = loadShared(at);
    at += 1u;
    g0 += dots(a, l, 0u);
    g1 += dots(a, l, 1u);
    g2 += dots(a, l, 2u);
    g3 += dots(a, l, 3u);
  }
  let i = i0 + lane;
  if (i >= M) { return; }
  let out = n * M * M;
  let v = array<vec4f, 4>(g0, g1, g2, g3);
  for (var k = 0u; k < 16u; k++) {
    let j = j0 + k;
    if (j < M) {
      let g = v[k / 4u][k % 4u] / params.norm;
      G[out + i * M + j] = g;
      G[out + j * M + i] = g;
    }
  }
}

// rows[n, i, q] = (dG[n, i, 4q … 4q + 3] + dG[n, 4q … 4q + 3, i]) / norm (zero past M), one vec4 per invocation.
@compute @workgroup_size(64)
fn symmetrize(@builtin(global_invocation_id) gid: vec3u) {
  let M = params.M;
  let Mp4 = (M + 3u) / 4u;
  let q = gid.x;
  if (q >= Mp4) { return; }
  let i = gid.y;
  let n = gid.z;
  let at = n * M * M;
  var s = vec4f();
  for (var t = 0u; t < 4u; t++) {
    let j = 4u * q + t;
    if (j < M) { s[t] = (dG[at + i * M + j] + dG[at + j * M + i]) / params.norm; }
  }
  rows[(n * M + i) * Mp4 + q] = s;
}
