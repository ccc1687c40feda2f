// Elementwise vector ops on flat f32 arrays of n elements (any tensor layout).
//
// Bindings: a, b (read), x (read), y (read_write in place), out (read_write); params: ElementwiseParams.
// Dispatch: grid1d(n, WG); one invocation per element.
//   add:            out = a + b
//   scale:          out = alpha · a
//   axpy:           out = alpha · a + b          (BLAS axpy with y = b)
//   axpyInPlace:    y   = alpha · x + y
//   fill:           out = alpha

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: ElementwiseParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { out[i] = a[i] + b[i]; }
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { out[i] = params.alpha * a[i]; }
}

@compute @workgroup_size(WG)
fn axpy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { out[i] = fma(params.alpha, a[i], b[i]); }
}

@compute @workgroup_size(WG)
fn axpyInPlace(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { y[i] = fma(params.alpha, x[i], y[i]); }
}

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { out[i] = params.alpha; }
}
