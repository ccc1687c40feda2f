// The style loss w·mean((G − T)²) of a Gram matrix G = F·Fᵀ/norm against its target T, and its gradient with respect
// to the features F, without the difference G − T ever stored (src/kernels/gramMse.ts; the fusion pass's `gramMse`
// rewrite turns scale(mse(gram(F), T), w) and its backward steps into these kernels).
//
// Layout: G, T [N, C, C] f32 (T symmetric or not: only G − T and its transpose are used); loss, dL [1];
//         rows [N, C, Cp] f32 with Cp = 4·ceil(C/4), zero past C: matmulSubgroup's A layout (packRows);
//         dG [N, C, C] f32.
// Math, with m = N·C·C, D = G − T and dL the upstream gradient of the loss:
//   gramMseLoss:      loss = (w/m)·Σ D²                                                 params.scale = w/m
//   gramMseRows:      rows[n, i, j] = k·(D[n, i, j] + D[n, j, i]),  k = dL·2w/(m·norm)   params.scale = 2w/(m·norm)
//                     then dF[n] = rows[n]·F[n] (matmulSubgroup): d/dF of L = w·mean(D²) is
//                     (dG + dGᵀ)·F/norm with dG = dL·(2w/m)·D (the gram and mse rules of src/graph/gradients.ts).
//   gramMseGradient:  dG = k·D, k = dL·2w/m                                             params.scale = 2w/m
//                     for the Gram backward kernels that symmetrise dG themselves (no subgroups).
// Bindings: G, T, dL (read); loss, rows, dG (read_write); params: GramMseParams {channels, count, scale}
//   (count = m).
// Dispatch:
//   gramMseLoss     one workgroup of WG: invocation l sums D² over elements l, l + WG, … (fma), then the
//                   workgroup adds its WG sums pairwise (workgroupReduce.wgsl). The matrices are small (C ≤ 512:
//                   at most 2.6·10⁵ elements), so one workgroup is enough on a CPU adapter; a real GPU would want
//                   a two-pass reduction.
//   gramMseRows     grid1d(N·C·Cp, WG), one invocation per element of rows.
//   gramMseGradient grid1d(m, WG), one invocation per element of dG.

override WG: u32 = 256;   // power of two ≤ 256
alias ReduceItem = f32;   // workgroupReduce.wgsl

@group(0) @binding(0) var<uniform> params: GramMseParams;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read> dL: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> rows: array<f32>;
@group(0) @binding(6) var<storage, read_write> dG: array<f32>;

@compute @workgroup_size(WG)
fn gramMseLoss(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < params.count; i += WG) {
    let d = G[i] - T[i];
    acc = fma(d, d, acc);
  }
  let total = workgroupSum(lid, acc);
  if (lid == 0u) { loss[0] = total * params.scale; }
}

@compute @workgroup_size(WG)
fn gramMseRows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let C = params.channels;
  let Cp = 4u * ((C + 3u) / 4u);
  let e = flatIndex(gid, nwg, WG);
  if (e >= (params.count / C) * Cp) { return; }   // N·C rows of Cp
  let j = e % Cp;
  let row = e / Cp;          // n·C + i
  var v = 0.0;
  if (j < C) {
    let i = row % C;
    let base = (row - i) * C; // n·C·C
    let ij = base + i * C + j;
    let ji = base + j * C + i;
    v = (dL[0] * params.scale) * ((G[ij] - T[ij]) + (G[ji] - T[ji]));
  }
  rows[e] = v;
}

@compute @workgroup_size(WG)
fn gramMseGradient(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flatIndex(gid, nwg, WG);
  if (e < params.count) { dG[e] = (dL[0] * params.scale) * (G[e] - T[e]); }
}
