// Per-channel statistics, instance normalization (Ulyanov et al. 2016) and AdaIN (Huang & Belongie 2017, eq. 8),
// and their backward.
//
// Layout: x, dy, y, dx [N, C, H, W] f32; statistics per (n, c) over the P = H·W positions of one channel.
//   μ = Σx / P;   σ² = Σ(x − μ)² / D,  D = P (biased) or P − 1 (params.unbiased = 1);   r = 1 / sqrt(σ² + eps)
//   meanStd:        mean[n, c] = μ,  stddev[n, c] = sqrt(σ² + eps)                          mean, stddev [N, C]
//   instanceNorm:   y = (x − μ)·r;   define AFFINE: y = (x − μ)·r·gamma[k] + beta[k],  k = n·paramStride + c
//                   paramStride = 0: per-channel γ[c], β[c] (InstanceNorm2d with affine=True);
//                   paramStride = C: per-(n, c) scale and shift, which with gamma = σ(style), beta = μ(style) is AdaIN.
//                   define RELU: then y = max(y, 0), for inference (instanceNormBackward has no RELU).
//   instanceNormBackward (gamma, beta held constant unless PARAM_GRADS), with g = dy·γ (γ = 1 without AFFINE):
//                   dx = r·(g − Σg / P − x̂·Σ(g·x̂) / D),  x̂ = (x − μ)·r
//                   define PARAM_GRADS: dgamma[c] = Σ_n Σ dy·x̂,  dbeta[c] = Σ_n Σ dy   (needs paramStride = 0)
//                   define PADDED_OUT: y is stored in a padded layout (f32 elements placed by outIndex).
// Bindings: x, dy, gamma, beta (read); y, mean, stddev, dx, dgamma, dbeta (read_write); params: NormParams
// (with the OUTPUT_LAYOUT_FIELDS of y, outputLayout.wgsl).
// Dispatch: grid1d(params.groups, 1), one workgroup per group: meanStd and instanceNorm group = n·C + c
// (groups = N·C); instanceNormBackward group = c (groups = C), looping over n so dgamma, dbeta need no second pass.
// Statistics are two-pass (mean first, then Σ(x − μ)²), free of the cancellation of E[x²] − E[x]². Each reduction:
// every invocation adds items lid, lid + WG, … serially, then the workgroup adds its WG values pairwise.
// An item is T (shaders/items.wgsl): one position, or with define VEC4 (P a multiple of 4) a vec4 of 4.

override WG: u32 = 64;    // power of two, at most 256

@group(0) @binding(0) var<uniform> params: NormParams;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> dy: array<T>;
#if PADDED_OUT
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#else
@group(0) @binding(3) var<storage, read_write> y: array<T>;
#endif
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> stddev: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<T>;
#if AFFINE
@group(0) @binding(7) var<storage, read> gamma: array<f32>;
@group(0) @binding(8) var<storage, read> beta: array<f32>;
#endif
#if PARAM_GRADS
@group(0) @binding(9) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(10) var<storage, read_write> dbeta: array<f32>;
#endif

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

// Stores item p of plane `group` of y: one store, or with PADDED_OUT (y in a padded layout) each of its elements
// where outIndex puts it (outputLayout.wgsl).
fn storeY(group: u32, p: u32, v: T) {
#if PADDED_OUT
  for (var k = 0u; k < ELEMS; k++) {
    let q = ELEMS * p + k;
    y[outIndex(group, q / params.outCols, q % params.outCols)] = element(v, k);
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
#if RELU
    storeY(group, p, max(fma(x[base + p] - m.x, T(scale), T(shift)), T(0.0)));
#else
    storeY(group, p, fma(x[base + p] - m.x, T(scale), T(shift)));
#endif
  }
}

@compute @workgroup_size(WG)
fn instanceNormBackward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = groupIndex(wid, nwg);
  if (c >= params.groups) { return; }
  let P = params.positions;
  let items = planeItems();
  let D = varianceDivisor();
  var gammaGrad = 0.0;
  var betaGrad = 0.0;
  for (var n = 0u; n < params.batch; n++) {
    let base = (n * params.channels + c) * items;
    var g = 1.0;
#if AFFINE
    g = gamma[n * params.paramStride + c];
#endif
    // Pass 1: (Σx, Σdy).  Pass 2: (Σ(x − μ)², Σdy·(x − μ)).
    var s = vec2f(0.0);
    for (var p = lid; p < items; p += WG) { s += vec2f(total(x[base + p]), total(dy[base + p])); }
    let sums = workgroupSum(lid, s);
    let mu = sums.x / f32(P);
    var t = vec2f(0.0);
    for (var p = lid; p < items; p += WG) {
      let d = x[base + p] - mu;
      t += vec2f(total(d * d), total(dy[base + p] * d));
    }
    let centered = workgroupSum(lid, t);
    let r = 1.0 / sqrt(centered.x / D + params.eps);
    let meanG = g * sums.y / f32(P);            // Σg / P
    let gxhatOverD = g * r * centered.y / D;    // Σ(g·x̂) / D
    for (var p = lid; p < items; p += WG) {
      let xhat = (x[base + p] - mu) * r;
      dx[base + p] = r * (g * dy[base + p] - meanG - xhat * gxhatOverD);
    }
    gammaGrad += r * centered.y;
    betaGrad += sums.y;
  }
#if PARAM_GRADS
  if (lid == 0u) {
    dgamma[c] = gammaGrad;
    dbeta[c] = betaGrad;
  }
#endif
}
