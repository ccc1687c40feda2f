// Gram matrices on subgroups, for CPU adapters (lavapipe, SwiftShader): the maths of gram.wgsl,
//   gramSubgroup:  G[n]  = F[n]·F[n]ᵀ / norm
//   symmetrize:    S[n]  = (dG[n] + dG[n]ᵀ) / norm, in matmulSubgroup.wgsl's row layout
// and the backward dF[n] = S[n]·F[n] is matmulSubgroup (see gram.ts). The plan of conv2dSubgroup.wgsl: lane r
// of a workgroup of LANES (one subgroup) owns row i = LANES·b + r of G, and the 16 rows of F that every lane
// needs are loaded once, 16 / LANES vec4 per lane, and handed round with subgroupShuffle. Per 4 positions a
// lane loads 4 floats of its own and 64 / LANES shared, and does 64 multiply-adds: 5.3 per float loaded with
// 8 lanes, against 2 for gram.wgsl's register blocks (loads, a per-lane loop each on llvmpipe, bound both).
//
// Layout: F [N, C, P] as vec4, P = H·W a multiple of 4; G, dG [N, C, C]; S [N, C, Cp] as vec4,
//         Cp = 4·ceil(C / 4) (columns past C are 0).
// Bindings: F, dG read; G, sym (S) read_write. Params: GramParams {channels, positions, norm}.
// Dispatch:
//   gramSubgroup [ceil(C / 16), ceil(C / LANES), N] workgroups of LANES: workgroup (jb, ib) computes G rows
//     LANES·ib …, columns 16·jb … 16·jb + 15, and writes each value to both halves; blocks wholly below the
//     diagonal return at once. Rows past C are clamped on load and never stored.
//   symmetrize [ceil(Cp / 256), C, N] workgroups of 64, one vec4 of S per invocation.

enable subgroups;

override LANES: u32 = 8u;  // rows per workgroup, one per invocation: 8 or 4

@group(0) @binding(0) var<uniform> params: GramParams;
@group(0) @binding(1) var<storage, read> F: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> G: array<f32>;
@group(0) @binding(3) var<storage, read> dG: array<f32>;
@group(0) @binding(4) var<storage, read_write> sym: array<vec4f>;

// The 16 shared vec4 of one step: lane l loaded vec4 k = l + LANES·m as load m (2 loads with 8 lanes, 4 with 4).
struct SharedLoads { m0: vec4f, m1: vec4f, m2: vec4f, m3: vec4f }
// Sixteen accumulators.
struct Acc16 { v0: vec4f, v1: vec4f, v2: vec4f, v3: vec4f }

// Shared vec4 k (0 … 15): from lane k mod LANES, load k / LANES (k and LANES are constants once inlined).
fn sharedVec(l: SharedLoads, k: u32) -> vec4f {
  let m = k / LANES;
  return subgroupShuffle(select(select(l.m0, l.m1, m == 1u), select(l.m2, l.m3, m == 3u), m >= 2u), k % LANES);
}

// This lane's share of the 16 shared vec4: F[at.x], F[at.y] (and F[at.z], F[at.w] with 4 lanes), the offsets of
// vec4 k = lane, lane + LANES, lane + 2·LANES, lane + 3·LANES.
fn loadShared(at: vec4u) -> SharedLoads {
  var l = SharedLoads(F[at.x], F[at.y], vec4f(), vec4f());
  if (LANES < 8u) {
    l.m2 = F[at.z];
    l.m3 = F[at.w];
  }
  return l;
}

// a · (shared vec4 4t … 4t + 3), one dot each.
fn dots(a: vec4f, l: SharedLoads, t: u32) -> vec4f {
  return vec4f(dot(a, sharedVec(l, 4u * t)), dot(a, sharedVec(l, 4u * t + 1u)), dot(a, sharedVec(l, 4u * t + 2u)), dot(a, sharedVec(l, 4u * t + 3u)));
}

@compute @workgroup_size(LANES)
fn gramSubgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let C = params.channels;
  let P4 = params.positions / 4u;
  let i0 = LANES * wid.y;
  let j0 = 16u * wid.x;
  if (j0 + 15u < i0) { return; }
  let n = wid.z;
  let own = (n * C + min(i0 + lane, C - 1u)) * P4;
  // Shared vec4 k = lane + LANES·m is row j0 + k of F: column j0 + k of G.
  let ks = vec4u(lane) + LANES * vec4u(0u, 1u, 2u, 3u);
  var at = (n * C + min(vec4u(j0) + ks, vec4u(C - 1u))) * P4;
  var acc = Acc16();
  for (var q = 0u; q < P4; q++) {
    let a = F[own + q];
    let l = loadShared(at);
    at += 1u;
    acc = Acc16(acc.v0 + dots(a, l, 0u), acc.v1 + dots(a, l, 1u), acc.v2 + dots(a, l, 2u), acc.v3 + dots(a, l, 3u));
  }
  let i = i0 + lane;
  if (i >= C) { return; }
  let out = n * C * C;
  let v = array<vec4f, 4>(acc.v0, acc.v1, acc.v2, acc.v3);
  for (var k = 0u; k < 16u; k++) {
    let j = j0 + k;
    if (j < C) {
      let g = v[k / 4u][k % 4u] / params.norm;
      G[out + i * C + j] = g;
      G[out + j * C + i] = g;
    }
  }
}

@compute @workgroup_size(64)
fn symmetrize(@builtin(global_invocation_id) gid: vec3u) {
  let C = params.channels;
  let Cp4 = (C + 3u) / 4u;
  let q = gid.x;
  if (q >= Cp4) { return; }
  let i = gid.y;
  let n = gid.z;
  let at = n * C * C;
  var s = vec4f();
  for (var t = 0u; t < 4u; t++) {
    let j = 4u * q + t;
    if (j < C) { s[t] = (dG[at + i * C + j] + dG[at + j * C + i]) / params.norm; }
  }
  sym[(n * C + i) * Cp4 + q] = s;
}
