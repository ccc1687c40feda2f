// Tree reductions over flat f32 arrays: sum(x) and dot(x, y).
//
// Bindings: x, y (read), partial (read_write, one f32 per workgroup); params: ReduceParams {n, groups}.
// Dispatch: `groups` workgroups (folded by grid1d), each covering WG·ITEMS consecutive elements.
// Each invocation first adds ITEMS elements strided by WG (coalesced), then the workgroup adds its WG
// values pairwise in shared memory (log2 WG steps). The host repeats sumPartial on the partials until one
// value is left; the pairwise tree keeps f32 error near O(log n · ε) rather than the O(n · ε) of a serial loop.

override WG: u32 = 256;    // power of two
override ITEMS: u32 = 8;

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

var<workgroup> scratch: array<f32, 256>;

fn reduceWorkgroup(lid: u32, v: f32) -> f32 {
  scratch[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) { scratch[lid] = scratch[lid] + scratch[lid + stride]; }
    workgroupBarrier();
  }
  return scratch[0];
}

@compute @workgroup_size(WG)
fn sumPartial(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let group = wid.x + wid.y * nwg.x;
  let base = group * WG * ITEMS + lid;
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG;
    if (i < params.n) { acc += x[i]; }
  }
  let total = reduceWorkgroup(lid, acc);
  if (lid == 0u && group < params.groups) { partial[group] = total; }
}

@compute @workgroup_size(WG)
fn dotPartial(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let group = wid.x + wid.y * nwg.x;
  let base = group * WG * ITEMS + lid;
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG;
    if (i < params.n) { acc = fma(x[i], y[i], acc); }
  }
  let total = reduceWorkgroup(lid, acc);
  if (lid == 0u && group < params.groups) { partial[group] = total; }
}
