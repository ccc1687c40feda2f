// A gradient accumulated from two paths and passed back through a ReLU or leaky ReLU in one pass: the fusion
// pass's `gradAddAct` rewrite (src/graph/fusion.ts) turns activationBackward(y, add(a, b)) into this kernel
// (src/kernels/gradientAdd.ts), one read of y, a, b and one write instead of add's write and re-read.
//
// Layout: y, a, b, out flat f32 of one shape, as items T (shaders/items.wgsl: f32, or vec4f with define VEC4);
// with define PADDED_OUT, out holds f32 elements in the padded input layout of the convolution that reads it
// (the program's paddedOutput plan), each stored by storeOut (itemStore.wgsl) where outIndexFlat puts it.
//   activationBackwardSum:  out = (a + b) · (y > 0 ? 1 : slope)
// y is the activation's output or its input (the same sign for slope ≥ 0; the graph passes what the unfused
// backward step read). The arithmetic is that of elementwise.wgsl's add and activation.wgsl's leakyReluBackward
// (select(slope·s, s, y > 0)), so the result is bit-identical to the two separate passes.
// Bindings: y, a, b (read), out (read_write); params: GradientAddParams {n (items), slope, OUTPUT_LAYOUT_FIELDS}.
// Dispatch: grid1d(n, WG), one item per invocation.

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: GradientAddParams;
@group(0) @binding(1) var<storage, read> y: array<T>;
@group(0) @binding(2) var<storage, read> a: array<T>;
@group(0) @binding(3) var<storage, read> b: array<T>;
#if PADDED_OUT
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
#else
@group(0) @binding(4) var<storage, read_write> out: array<T>;
#endif

@compute @workgroup_size(WG)
fn activationBackwardSum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) {
    let s = a[i] + b[i];
    storeOut(i, select(params.slope * s, s, y[i] > T(0.0)));
  }
}
