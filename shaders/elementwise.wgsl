// Elementwise vector ops on flat f32 arrays (any tensor layout), one element per invocation — or, with
// define VEC4 (the host sets it when the size is a multiple of 4), one vec4 of 4 elements: T is the element
// type, and on CPU adapters a vec4 load or store costs little more than a scalar one (lavapipe: relu over
// 2 M floats 2.4× faster).
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

#if VEC4
alias T = vec4f;
#else
alias T = f32;
#endif

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
