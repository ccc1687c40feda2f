// A linear combination of same-shape tensors in one pass: the fusion pass's `linearSum` rewrite
// (src/graph/patterns.ts) turns a tree of add / scale / axpy steps into this kernel (src/kernels/linearSum.ts),
// one read of each term and one write instead of a write and re-read per step.
//
// Layout: x0 … x6 and out flat f32 of one size, as items T (shaders/items.wgsl: f32, or vec4f with define VEC4).
//   linearSum:  s = w0·x0 (accumulate = 0) or fma(w0, x0, out) (accumulate = 1);
//               s = fma(wk, xk, s) for k = 1 … terms − 1;  out = s
// The terms are accumulated left to right in f32 with one rounding each, the arithmetic of elementwise.wgsl's
// scale (w0·x0) and axpy (fma): a sum longer than 7 terms runs as several dispatches, each after the first
// continuing from the f32 sum the last one stored (accumulate = 1), so it gives the same bits as one pass would.
// Bindings x1 … x6 past `terms` are bound (to x0) but not read.
// Bindings: x0 … x6 (read), out (read_write); params: LinearSumParams {n (items), terms, accumulate, w0 … w6}.
// Dispatch: grid1d(n, WG), one item per invocation.

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: LinearSumParams;
@group(0) @binding(1) var<storage, read> x0: array<T>;
@group(0) @binding(2) var<storage, read> x1: array<T>;
@group(0) @binding(3) var<storage, read> x2: array<T>;
@group(0) @binding(4) var<storage, read> x3: array<T>;
@group(0) @binding(5) var<storage, read> x4: array<T>;
@group(0) @binding(6) var<storage, read> x5: array<T>;
@group(0) @binding(7) var<storage, read> x6: array<T>;
@group(0) @binding(8) var<storage, read_write> out: array<T>;

@compute @workgroup_size(WG)
fn linearSum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i >= params.n) { return; }
  var s = T(params.w0) * x0[i];
  if (params.accumulate != 0u) { s = fma(T(params.w0), x0[i], out[i]); }
  if (params.terms > 1u) { s = fma(T(params.w1), x1[i], s); }
  if (params.terms > 2u) { s = fma(T(params.w2), x2[i], s); }
  if (params.terms > 3u) { s = fma(T(params.w3), x3[i], s); }
  if (params.terms > 4u) { s = fma(T(params.w4), x4[i], s); }
  if (params.terms > 5u) { s = fma(T(params.w5), x5[i], s); }
  if (params.terms > 6u) { s = fma(T(params.w6), x6[i], s); }
  out[i] = s;
}
