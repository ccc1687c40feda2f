// Tree reductions over flat f32 arrays: Σ x, Σ x·y, Σ|x| and max|x| (one entry point, the element op by define).
//
// Bindings: x, y (read), partial (read_write, one f32 per workgroup); params: ReduceParams {n, groups}.
// Dispatch: `groups` workgroups (folded by grid1d), each covering WG·ITEMS consecutive elements.
// Each invocation first folds ITEMS elements strided by WG (coalesced), then the workgroup combines its WG
// values pairwise (workgroupReduce, shaders/workgroupReduce.wgsl). The host repeats a pass on the partials
// until one value is left (reduceToScalar).

override WG: u32 = 256;    // power of two
override ITEMS: u32 = 8;

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

alias ReduceItem = f32;   // workgroupReduce.wgsl

// What one invocation folds its elements into (acc), by define: DOT Σ x·y, ABS Σ|x|, ABS_MAX max|x| (the
// workgroup then takes the max; |x| ≥ 0, so 0 is the neutral start), else Σ x.
fn accumulate(acc: f32, i: u32) -> f32 {
#if DOT
  return fma(x[i], y[i], acc);
#elif ABS
  return acc + abs(x[i]);
#elif ABS_MAX
  return max(acc, abs(x[i]));
#else
  return acc + x[i];
#endif
}

#if ABS_MAX
const USE_MAX = true;
#else
const USE_MAX = false;
#endif

// One entry point for every reduction, compiled per define (src/kernels/reduce.ts names each kernel).
@compute @workgroup_size(WG)
fn partialReduce(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let group = wid.x + wid.y * nwg.x;
  let base = group * WG * ITEMS + lid;
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG;
    if (i < params.n) { acc = accumulate(acc, i); }
  }
  let total = workgroupReduce(lid, acc, USE_MAX);
  if (lid == 0u && group < params.groups) { partial[group] = total; }
}
