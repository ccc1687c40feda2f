// ---- shaders/normCommon.wgsl: what the per-channel statistics kernels share (norm.wgsl: statistics and
// instance norm; normBackward.wgsl: its backward, in a module of its own so pages that never differentiate do
// not carry it).
//
// Layout: [N, C, H, W] f32; statistics per (n, c) over the P = H·W positions of one channel.
//   μ = Σx / P;   σ² = Σ(x − μ)² / D,  D = P (biased) or P − 1 (params.unbiased = 1);   r = 1 / sqrt(σ² + eps)
// Affine parameters gamma[k], beta[k] with k = n·paramStride + c: paramStride = 0 per channel, C per (n, c).
// Uniforms: NormParams (with the OUTPUT_LAYOUT_FIELDS of the output, outputLayout.wgsl).
// Dispatch: grid1d(params.groups, 1), one workgroup per group (see each module for what a group is).
// Each reduction: every invocation adds items lid, lid + WG, … serially, then the workgroup adds its WG values
// pairwise. An item is T (shaders/items.wgsl): one position, or with define VEC4 (P a multiple of 4) a vec4 of 4.

override WG: u32 = 64;    // power of two, at most 256

@group(0) @binding(0) var<uniform> params: NormParams;

// Two sums at once (workgroupSum, workgroupReduce.wgsl): the passes often need a pair.
alias ReduceItem = vec2f;

fn groupIndex(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

fn varianceDivisor() -> f32 {
  return f32(params.positions - params.unbiased);
}

// Items of one channel.
fn planeItems() -> u32 {
  return params.positions / ELEMS;
}
