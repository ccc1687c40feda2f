// The backward of instance normalization (norm.wgsl), with the layout, statistics and helpers of
// normCommon.wgsl; gamma, beta held constant unless PARAM_GRADS. With g = dy·γ (γ = 1 without AFFINE):
//   dx = r·(g − Σg / P − x̂·Σ(g·x̂) / D),  x̂ = (x − μ)·r
//   define PARAM_GRADS: dgamma[c] = Σ_n Σ dy·x̂,  dbeta[c] = Σ_n Σ dy   (needs paramStride = 0)
// Bindings: x, dy, gamma (read); dx, dgamma, dbeta (read_write).
// Dispatch: one workgroup per group = c (groups = C), looping over n so dgamma, dbeta need no second pass.

@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> dy: array<T>;
@group(0) @binding(6) var<storage, read_write> dx: array<T>;
#if AFFINE
@group(0) @binding(7) var<storage, read> gamma: array<f32>;
#endif
#if PARAM_GRADS
@group(0) @binding(9) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(10) var<storage, read_write> dbeta: array<f32>;
#endif

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
