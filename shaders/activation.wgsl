// Pointwise activations and affine maps over flat f32 arrays; where a channel is needed the layout is
// [N, C, plane] (NCHW with plane = H·W, or [N, C] with plane = 1) and c = (i / plane) mod C.
//
// An item is T (shaders/items.wgsl): one element, or with define VEC4 (size, or for the per-channel kernels the
// plane, a multiple of 4) a vec4 of 4 elements of one channel.
//
// Bindings: x, y, dy, scale, shift (read); out (read_write, the result or dx; f32 elements in a padded layout
// with PADDED_OUT, stored by storeOut: itemStore.wgsl); dscale, dshift (read_write, [C]);
// params: ActivationParams {n (items), plane (elements), channels, slope, a, b, OUTPUT_LAYOUT_FIELDS}.
// Dispatch: grid1d(n, WG), one invocation per item; affineParamGrad: one workgroup per channel.
//   leakyRelu:          out = x > 0 ? x : slope·x                  (relu is slope = 0)
//   leakyReluBackward:  out = dy · (x > 0 ? 1 : slope)             (y may stand for x when slope ≥ 0: same sign)
//   tanhForward:        out = tanh(x)
//   tanhBackward:       out = dy · (1 − y²)                        (tanh' = 1 − tanh², from the output y)
//   scalarAffine:       out = a·x + b
//   affine:             out = x·scale[c] + shift[c]
//   affineBackward:     out = dy·scale[c]                          (∂/∂x)
//   affineParamGrad:    dscale[c] = Σ_{n,p} dy·x,  dshift[c] = Σ_{n,p} dy   (∂/∂scale, ∂/∂shift)

override WG: u32 = 256;
override REDUCE_WG: u32 = 64;   // power of two

@group(0) @binding(0) var<uniform> params: ActivationParams;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> y: array<T>;
@group(0) @binding(3) var<storage, read> dy: array<T>;
@group(0) @binding(4) var<storage, read> scale: array<f32>;
@group(0) @binding(5) var<storage, read> shift: array<f32>;
#if PADDED_OUT
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
#else
@group(0) @binding(6) var<storage, read_write> out: array<T>;
#endif
@group(0) @binding(7) var<storage, read_write> dscale: array<f32>;
@group(0) @binding(8) var<storage, read_write> dshift: array<f32>;

// Channel of item i (all ELEMS elements of an item share it: the plane is a multiple of ELEMS).
fn channelOf(i: u32) -> u32 {
  return (ELEMS * i / params.plane) % params.channels;
}

@compute @workgroup_size(WG)
fn leakyRelu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { storeOut(i, select(params.slope * x[i], x[i], x[i] > T(0.0))); }
}

@compute @workgroup_size(WG)
fn leakyReluBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { storeOut(i, select(params.slope * dy[i], dy[i], x[i] > T(0.0))); }
}

@compute @workgroup_size(WG)
fn tanhForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  // tanh(±10) is ±1 in f32 already; the clamp keeps exp-based tanh implementations from overflowing to NaN.
  if (i < params.n) { storeOut(i, tanh(clamp(x[i], T(-10.0), T(10.0)))); }
}

@compute @workgroup_size(WG)
fn tanhBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { storeOut(i, dy[i] * (T(1.0) - y[i] * y[i])); }
}

@compute @workgroup_size(WG)
fn scalarAffine(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { storeOut(i, fma(T(params.a), x[i], T(params.b))); }
}

@compute @workgroup_size(WG)
fn affine(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) {
    let c = channelOf(i);
    storeOut(i, fma(x[i], T(scale[c]), T(shift[c])));
  }
}

@compute @workgroup_size(WG)
fn affineBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { storeOut(i, dy[i] * scale[channelOf(i)]); }
}

var<workgroup> sumScale: array<f32, REDUCE_WG>;
var<workgroup> sumShift: array<f32, REDUCE_WG>;

// Workgroup c strides over the N·plane elements of channel c, then adds its REDUCE_WG partial sums pairwise.
@compute @workgroup_size(REDUCE_WG)
fn affineParamGrad(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = wid.x + wid.y * nwg.x;
  let batch = ELEMS * params.n / (params.channels * params.plane);
  let planeItems = params.plane / ELEMS;
  var accScale = 0.0;
  var accShift = 0.0;
  if (c < params.channels) {
    for (var b = 0u; b < batch; b++) {
      let base = (b * params.channels + c) * planeItems;
      for (var p = lid; p < planeItems; p += REDUCE_WG) {
        accScale += total(dy[base + p] * x[base + p]);
        accShift += total(dy[base + p]);
      }
    }
  }
  sumScale[lid] = accScale;
  sumShift[lid] = accShift;
  workgroupBarrier();
  for (var stride = REDUCE_WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) {
      sumScale[lid] += sumScale[lid + stride];
      sumShift[lid] += sumShift[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u && c < params.channels) {
    dscale[c] = sumScale[0];
    dshift[c] = sumShift[0];
  }
}
