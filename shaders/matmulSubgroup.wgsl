// Matrix products on subgroups, for CPU adapters (lavapipe, SwiftShader), on the plan of conv2dSubgroup.wgsl:
//   Y[n] = act(A[n]·B[n] + bias),  A[n] [M, K], B[n] [K, P], Y[n] [M, P]
// It serves 1×1 stride-1 convolutions (A = the weights, the same for every n: aStride = 0) and the Gram
// backward dF = S·F (A = S[n], the symmetrised upstream gradient: aStride = M·Kp).
// Lane r of a workgroup of LANES (one subgroup) owns row m = LANES·mb + r and 16 columns p0 = 16·pb …; per 4
// steps of k it loads its own A[m, k … k + 3] (one vec4) and its share of B[k … k + 3, p0 … p0 + 15] (16 vec4,
// 16 / LANES per lane) which subgroupShuffle hands round: 64 multiply-adds for 4 + 64 / LANES floats loaded.
//
// Layout: A [N or 1, M, Kp] as vec4, Kp = 4·ceil(K / 4), columns past K zero (packRows writes it from [M, K]);
//         B [N, K, P] and Y [N, M, P] as vec4, P a multiple of 4; bias [M].
// Bindings: A, B, bias (BIAS only) read; Y written. packRows: w read, rows written.
// Params: MatmulParams {M, K, P, aStride (vec4), slope (LEAKY_RELU)}.
// Dispatch: matmulSubgroup [ceil(P / 16), ceil(M / LANES), N] workgroups of LANES; packRows [ceil(Kp / 256), M]
// of 64.
// Rows past M are clamped on load and never stored; rows of B past K are clamped (A is 0 there); in the last
// column block, columns past P read whatever lies there (within the buffer) and are never stored.

enable subgroups;

override LANES: u32 = 8u;  // rows per workgroup, one per invocation: 8 or 4

@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> A: array<vec4f>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> Y: array<vec4f>;
@group(0) @binding(5) var<storage, read> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> rows: array<vec4f>;

// The 16 shared vec4 of one step: lane l loaded vec4 j = l + LANES·s as load s (2 loads with 8 lanes, 4 with 4).
struct SharedLoads { s0: vec4f, s1: vec4f, s2: vec4f, s3: vec4f }

// Shared vec4 j (0 … 15): from lane j mod LANES, load j / LANES (j and LANES are constants once inlined).
fn sharedVec(l: SharedLoads, j: u32) -> vec4f {
  let s = j / LANES;
  return subgroupShuffle(select(select(l.s0, l.s1, s == 1u), select(l.s2, l.s3, s == 3u), s >= 2u), j % LANES);
}

fn activate(v: vec4f) -> vec4f {
#if RELU
  return max(v, vec4f(0.0));
#elif LEAKY_RELU
  return select(params.slope * v, v, v >= vec4f(0.0));
#else
  return v;
#endif
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
    let at = cols + min(vec4u(4u * kq) + js / 4u, vec4u(P.K - 1u)) * P4;
    var l = SharedLoads(B[at.x], B[at.y], vec4f(), vec4f());
    if (LANES < 8u) {
      l.s2 = B[at.z];
      l.s3 = B[at.w];
    }
    // Column block t += Σ_r a[r] · B[4kq + r, q0 + t]; shared vec4 j = 4r + t.
    y0 += a.x * sharedVec(l, 0u) + a.y * sharedVec(l, 4u) + a.z * sharedVec(l, 8u) + a.w * sharedVec(l, 12u);
    y1 += a.x * sharedVec(l, 1u) + a.y * sharedVec(l, 5u) + a.z * sharedVec(l, 9u) + a.w * sharedVec(l, 13u);
    y2 += a.x * sharedVec(l, 2u) + a.y * sharedVec(l, 6u) + a.z * sharedVec(l, 10u) + a.w * sharedVec(l, 14u);
    y3 += a.x * sharedVec(l, 3u) + a.y * sharedVec(l, 7u) + a.z * sharedVec(l, 11u) + a.w * sharedVec(l, 15u);
  }
  if (m >= P.M) { return; }
  let b = vec4f(biasOf(m));
  let row = (n * P.M + m) * P4 + q0;
  if (q0 < P4) { Y[row] = activate(y0 + b); }
  if (q0 + 1u < P4) { Y[row + 1u] = activate(y1 + b); }
  if (q0 + 2u < P4) { Y[row + 2u] = activate(y2 + b); }
  if (q0 + 3u < P4) { Y[row + 3u] = activate(y3 + b); }
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
