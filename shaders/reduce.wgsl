// Tree reductions over flat f32 arrays: sum(x) and dot(x, y).
//
// Bindings: x, y (read), partial (read_write, one f32 per workgroup); params: ReduceParams {n, groups}.
// Dispatch: `groups` workgroups (folded by grid1d), each covering WG·ITEMS consecutive elements.
// Each invocation first adds ITEMS elements strided by WG (coalesced), then the workgroup adds its WG
// values pairwise (workgroupSum, shaders/workgroupReduce.wgsl). The host repeats sumPartial on the partials
// until one value is left (reduceToScalar).

override WG: u32 = 256;    // power of two
override ITEMS: u32 = 8;

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

alias ReduceItem = f32;   // workgroupReduce.wgsl

@compute @workgroup_size(WG)
fn sumPartial(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let group = wid.x + wid.y * nwg.x;
  let base = group * WG * ITEMS + lid;
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG;
    if (i < params.n) { acc += x[i]; }
  }
  let total = workgroupSum(lid, acc);
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
  let total = workgroupSum(lid, acc);
  if (lid == 0u && group < params.groups) { partial[group] = total; }
}
