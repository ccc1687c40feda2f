// Optimiser kernels: the vector and scalar steps of L-BFGS whose coefficients stay on the GPU and one fused
// Adam step (src/kernels/lbfgs.ts, src/lbfgs/); its absolute-value reductions are reduce.wgsl's.
//
// The two-loop recursion of torch/optim/lbfgs.py (LBFGS.step) scales vectors by numbers that are themselves GPU
// results: ρᵢ = 1/yᵢᵀsᵢ, αᵢ = ρᵢ·sᵢᵀq, βᵢ = ρᵢ·yᵢᵀr, H = yᵀs/yᵀy. They live in `coef`, a small f32 array the host
// never reads; uniforms carry slot indices into it (dst, a, b), so the loop needs no read-back.
//
// Bindings: params: LbfgsParams {n, dst, a, b}; adam: AdamParams.
//   axpyCoef      y ← y + (coefIn[a] − coefIn[b])·x     x (read), y (read_write), coefIn (read); grid1d(n, WG)
//   scaleByCoef   y ← coefIn[a]·y                        y (read_write), coefIn (read); grid1d(n, WG)
//   coefProduct   coef[dst] ← coef[a]·value[0]           value (read, [1]), coef (read_write); one invocation
//   acceptPair    if ys > 1e-10: coef[dst] ← 1/ys, coef[a] ← ys/yy   (torch: `if ys > 1e-10`, ro, H_diag)
//                                                        ys, yy (read, [1]), coef (read_write); one invocation
//   axpyCoefDot   axpyCoef, then partial[group] = Σ z·y over the group's elements of the updated y
//                                                        x, z, coefIn (read), y, partial (read_write)
//   scaleByCoefDot  scaleByCoef, then the same partial Σ z·y     y, partial (read_write), z, coefIn (read)
//                 The fusion of the two-loop recursion (src/lbfgs/lbfgs.ts): one pass over q instead of an update
//                 pass and a dot pass. Params dotParams: LbfgsDotParams {n, a, b, groups}; dispatch and element order
//                 those of reduce.wgsl's first pass (`groups` workgroups of WG, ITEMS elements each, strided by WG,
//                 then workgroupReduce), and each term fma(z, y, acc) as its DOT: so the partials, and the scalar
//                 reduce.ts sums from them, are bit for bit those of the separate update and dot(z, y).
//   adamStep      torch.optim.Adam (_single_tensor_adam, amsgrad off, no weight decay), per element:
//                   m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g·g
//                   param ← param + (−stepSize·m) / (√v / √(1 − β₂ᵗ) + eps),   stepSize = lr / (1 − β₁ᵗ)
//                 param, expAvg (m), expAvgSq (v) (read_write), grad (read); grid1d(n, WG)

override WG: u32 = 256;
override ITEMS: u32 = 8;
alias ReduceItem = f32;   // workgroupReduce.wgsl

@group(0) @binding(0) var<uniform> params: LbfgsParams;
@group(0) @binding(1) var<uniform> adam: AdamParams;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> coef: array<f32>;
@group(0) @binding(6) var<storage, read> coefIn: array<f32>;
@group(0) @binding(7) var<storage, read> value: array<f32>;
@group(0) @binding(8) var<storage, read> ys: array<f32>;
@group(0) @binding(9) var<storage, read> yy: array<f32>;
@group(0) @binding(10) var<storage, read_write> param: array<f32>;
@group(0) @binding(11) var<storage, read> grad: array<f32>;
@group(0) @binding(12) var<storage, read_write> expAvg: array<f32>;
@group(0) @binding(13) var<storage, read_write> expAvgSq: array<f32>;
@group(0) @binding(14) var<uniform> dotParams: LbfgsDotParams;
@group(0) @binding(15) var<storage, read> z: array<f32>;
@group(0) @binding(16) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WG)
fn axpyCoef(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { y[i] = fma(coefIn[params.a] - coefIn[params.b], x[i], y[i]); }
}

@compute @workgroup_size(WG)
fn scaleByCoef(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { y[i] = coefIn[params.a] * y[i]; }
}

// The element indices of this invocation in reduce.wgsl's first pass: group·WG·ITEMS + lid + k·WG.
fn dotBase(lid: u32, wid: vec3u, nwg: vec3u) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG * ITEMS + lid;
}

// The workgroup's Σ of the invocations' partial dot products, written by the first invocation.
fn storePartial(lid: u32, wid: vec3u, nwg: vec3u, acc: f32) {
  let group = wid.x + wid.y * nwg.x;
  let total = workgroupSum(lid, acc);
  if (lid == 0u && group < dotParams.groups) { partial[group] = total; }
}

@compute @workgroup_size(WG)
fn axpyCoefDot(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let base = dotBase(lid, wid, nwg);
  let factor = coefIn[dotParams.a] - coefIn[dotParams.b];
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG;
    if (i < dotParams.n) {
      let v = fma(factor, x[i], y[i]);
      y[i] = v;
      acc = fma(z[i], v, acc);
    }
  }
  storePartial(lid, wid, nwg, acc);
}

@compute @workgroup_size(WG)
fn scaleByCoefDot(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let base = dotBase(lid, wid, nwg);
  var acc = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG;
    if (i < dotParams.n) {
      let v = coefIn[dotParams.a] * y[i];
      y[i] = v;
      acc = fma(z[i], v, acc);
    }
  }
  storePartial(lid, wid, nwg, acc);
}

@compute @workgroup_size(1)
fn coefProduct() {
  coef[params.dst] = coef[params.a] * value[0];
}

@compute @workgroup_size(1)
fn acceptPair() {
  let curvature = ys[0];
  if (curvature > 1e-10) {
    coef[params.dst] = 1.0 / curvature;
    coef[params.a] = curvature / yy[0];
  }
}

@compute @workgroup_size(WG)
fn adamStep(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i >= adam.n) { return; }
  let g = grad[i];
  let m = expAvg[i] * adam.beta1 + adam.oneMinusBeta1 * g;
  let v = expAvgSq[i] * adam.beta2 + adam.oneMinusBeta2 * g * g;
  expAvg[i] = m;
  expAvgSq[i] = v;
  let denom = sqrt(v) / adam.biasCorrection2Sqrt + adam.eps;
  param[i] = param[i] + (-adam.stepSize * m) / denom;
}
