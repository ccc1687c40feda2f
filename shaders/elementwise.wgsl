// Elementwise vector ops on flat f32 arrays (any tensor layout), one item (T, shaders/items.wgsl: an element,
// or with define VEC4 a vec4 of 4) per invocation.
//
// Bindings: a, b (read), x (read), y (read_write in place), out (read_write); params: ElementwiseParams
// (n = items of T).
// Dispatch: grid1d(n, WG); one invocation per item.
//   add:            out = a + b
//   scale:          out = alpha · a
//   axpy:           out = alpha · a + b          (BLAS axpy with y = b)
//   axpyInPlace:    y   = alpha · x + y
//   fill:           out = alpha

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: ElementwiseParams;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@group(0) @binding(4) var<storage, read> x: array<T>;
@group(0) @binding(5) var<storage, read_write> y: array<T>;

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
  if (i < params.n) { out[i] = fma(T(params.alpha), a[i], b[i]); }
}

@compute @workgroup_size(WG)
fn axpyInPlace(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { y[i] = fma(T(params.alpha), x[i], y[i]); }
}

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { out[i] = T(params.alpha); }
}
