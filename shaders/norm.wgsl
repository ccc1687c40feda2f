// Per-channel statistics, instance normalization (Ulyanov et al. 2016) and AdaIN (Huang & Belongie 2017, eq. 8);
// the layout, statistics and helpers are normCommon.wgsl's, the backward is normBackward.wgsl.
//
//   meanStd:        mean[n, c] = μ,  stddev[n, c] = sqrt(σ² + eps)                          mean, stddev [N, C]
//   instanceNorm:   y = (x − μ)·r;   define AFFINE: y = (x − μ)·r·gamma[k] + beta[k]
//                   paramStride = 0: per-channel γ[c], β[c] (InstanceNorm2d with affine=True);
//                   paramStride = C: per-(n, c) scale and shift, which with gamma = σ(style), beta = μ(style) is AdaIN.
//                   define RELU: then y = max(y, 0), for inference (instanceNormBackward has no RELU).
//                   define RESIDUAL: then y = residual + y (after RELU if both), residual [N, C, H, W] row-major:
//                   a residual block's sum in the norm's output pass, the same f32 add as elementwise.add.
//                   define PADDED_OUT: y is stored in a padded layout (f32 elements placed by outIndex).
// Bindings: x, gamma, beta, residual (read); y, mean, stddev (read_write).
// Dispatch: one workgroup per group = n·C + c (groups = N·C).
// Statistics are two-pass (mean first, then Σ(x − μ)²), free of the cancellation of E[x²] − E[x]².

@group(0) @binding(1) var<storage, read> x: array<T>;
#if PADDED_OUT
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#else
@group(0) @binding(3) var<storage, read_write> y: array<T>;
#endif
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> stddev: array<f32>;
#if AFFINE
@group(0) @binding(7) var<storage, read> gamma: array<f32>;
@group(0) @binding(8) var<storage, read> beta: array<f32>;
#endif
#if RESIDUAL
@group(0) @binding(11) var<storage, read> residual: array<T>;
#endif

// (μ, σ²) of the P positions starting at item x[base].
fn channelMoments(lid: u32, base: u32) -> vec2f {
  let items = planeItems();
  var s = 0.0;
  for (var p = lid; p < items; p += WG) { s += total(x[base + p]); }
  let mu = workgroupSum(lid, vec2f(s, 0.0)).x / f32(params.positions);
  var q = 0.0;
  for (var p = lid; p < items; p += WG) {
    let d = x[base + p] - mu;
    q += total(d * d);
  }
  return vec2f(mu, workgroupSum(lid, vec2f(q, 0.0)).x / varianceDivisor());
}

@compute @workgroup_size(WG)
fn meanStd(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let group = groupIndex(wid, nwg);
  if (group >= params.groups) { return; }
  let m = channelMoments(lid, group * planeItems());
  if (lid == 0u) {
    mean[group] = m.x;
    stddev[group] = sqrt(m.y + params.eps);
  }
}

// Stores item p of plane `group` of y: one store, or with PADDED_OUT (y in a padded layout) its elements where
// outIndex puts them (outputLayout.wgsl): placed once per item when a row holds whole items (outCols a multiple
// of ELEMS, uniform over the dispatch), since the divisions are what a padded store costs on a CPU adapter.
fn storeY(group: u32, p: u32, v: T) {
#if PADDED_OUT
  if (params.outCols % ELEMS == 0u) {
    let q = ELEMS * p;
    let h = q / params.outCols;
    let at = outIndex(group, h, q - h * params.outCols);
    for (var k = 0u; k < ELEMS; k++) { y[at + k] = element(v, k); }
  } else {
    for (var k = 0u; k < ELEMS; k++) {
      let q = ELEMS * p + k;
      let h = q / params.outCols;
      y[outIndex(group, h, q - h * params.outCols)] = element(v, k);
    }
  }
#else
  y[group * planeItems() + p] = v;
#endif
}

@compute @workgroup_size(WG)
fn instanceNorm(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let group = groupIndex(wid, nwg);
  if (group >= params.groups) { return; }
  let base = group * planeItems();
  let m = channelMoments(lid, base);
  var scale = 1.0 / sqrt(m.y + params.eps);
  var shift = 0.0;
#if AFFINE
  let k = (group / params.channels) * params.paramStride + group % params.channels;
  scale *= gamma[k];
  shift = beta[k];
#endif
  for (var p = lid; p < planeItems(); p += WG) {
    var v = fma(x[base + p] - m.x, T(scale), T(shift));
#if RELU
    v = max(v, T(0.0));
#endif
#if RESIDUAL
    v = residual[base + p] + v;
#endif
    storeY(group, p, v);
  }
}
