// 2-D max and average pooling over NCHW, square window k, stride s, no padding (PyTorch max_pool2d /
// avg_pool2d with padding 0): OH = ⌊(H − k)/s⌋ + 1, or with ceil_mode ⌈(H − k)/s⌉ + 1, OW likewise (the host
// picks). Windows are clipped to the input, which only happens in ceil mode: the last window may hang over
// the bottom/right edge, and averages then divide by the clipped window's size, as PyTorch does.
//
// Bindings: x, dy (read); out (read_write: y, or dx); params: PoolParams {n, height, width, outHeight,
// outWidth, kernel, stride, OUTPUT_LAYOUT_FIELDS}, n = invocations (output elements forward, input elements
// backward). The forward passes store y through outIndex (outputLayout.wgsl), so y may be in a padded layout.
// Dispatch: grid1d(n, WG), one invocation per element written.
//   maxPool:          y[oh, ow] = x at the window's first maximum in row-major (kh, kw) order (PyTorch's tie rule)
//   maxPoolBackward:  dx[ih, iw] = Σ dy[oh, ow] over the windows whose first maximum is (ih, iw)
//   avgPool:          y[oh, ow] = Σ_window x / |window|            (|window| = k² unless clipped)
//   avgPoolBackward:  dx[ih, iw] = Σ dy[oh, ow] / |window| over the windows that contain (ih, iw)
// Backward passes gather: input (ih, iw) lies in windows oh ∈ [⌈(ih − k + 1)/s⌉, ⌊ih/s⌋] ∩ [0, OH − 1] (and
// the same for ow), so overlapping windows (s < k) need no atomics; max windows recompute their argmax.
//   maxPoolBackwardDisjoint: the same as maxPoolBackward where windows do not overlap (s ≥ k, VGG's 2 × 2
//   stride 2): one invocation per window adds its dy at its argmax into out, zeroed beforehand; dispatch
//   [⌈OW / WG⌉, OH, N·C], so no index needs a division (a per-lane loop on CPU adapters).

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// Rows and columns of window (oh, ow) inside the input.
fn windowSize(oh: u32, ow: u32) -> vec2u {
  return vec2u(min(params.kernel, params.height - oh * params.stride), min(params.kernel, params.width - ow * params.stride));
}

// Offset in the plane at `base` of the first maximum of window (oh, ow): strict > keeps the first tie.
fn windowArgmax(base: u32, oh: u32, ow: u32) -> u32 {
  let size = windowSize(oh, ow);
  let top = base + oh * params.stride * params.width + ow * params.stride;
  var best = top;
  for (var kh = 0u; kh < size.x; kh++) {
    for (var kw = 0u; kw < size.y; kw++) {
      let j = top + kh * params.width + kw;
      if (x[j] > x[best]) { best = j; }
    }
  }
  return best;
}

// Window index range [lo, hi] (hi < lo when none) along one axis for input coordinate i.
fn windowsCovering(i: u32, outSize: u32) -> vec2u {
  let lo = select(0u, (i - params.kernel) / params.stride + 1u, i >= params.kernel);
  let hi = min(i / params.stride, outSize - 1u);
  return vec2u(lo, hi);
}

@compute @workgroup_size(WG)
fn maxPool(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i >= params.n) { return; }
  let ow = i % params.outWidth;
  let oh = (i / params.outWidth) % params.outHeight;
  let plane = i / (params.outWidth * params.outHeight);
  out[outIndex(plane, oh, ow)] = x[windowArgmax(plane * params.height * params.width, oh, ow)];
}

@compute @workgroup_size(WG)
fn maxPoolBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i >= params.n) { return; }
  let iw = i % params.width;
  let ih = (i / params.width) % params.height;
  let plane = i / (params.width * params.height);
  let rows = windowsCovering(ih, params.outHeight);
  let cols = windowsCovering(iw, params.outWidth);
  let base = plane * params.height * params.width;
  let outBase = plane * params.outHeight * params.outWidth;
  var acc = 0.0;
  for (var oh = rows.x; oh <= rows.y; oh++) {
    for (var ow = cols.x; ow <= cols.y; ow++) {
      if (windowArgmax(base, oh, ow) == i) { acc += dy[outBase + oh * params.outWidth + ow]; }
    }
  }
  out[i] = acc;
}

@compute @workgroup_size(WG)
fn avgPool(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i >= params.n) { return; }
  let ow = i % params.outWidth;
  let oh = (i / params.outWidth) % params.outHeight;
  let plane = i / (params.outWidth * params.outHeight);
  let top = plane * params.height * params.width + oh * params.stride * params.width + ow * params.stride;
  let size = windowSize(oh, ow);
  var acc = 0.0;
  for (var kh = 0u; kh < size.x; kh++) {
    for (var kw = 0u; kw < size.y; kw++) { acc += x[top + kh * params.width + kw]; }
  }
  out[outIndex(plane, oh, ow)] = acc / f32(size.x * size.y);
}

@compute @workgroup_size(WG)
fn avgPoolBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i >= params.n) { return; }
  let iw = i % params.width;
  let ih = (i / params.width) % params.height;
  let plane = i / (params.width * params.height);
  let rows = windowsCovering(ih, params.outHeight);
  let cols = windowsCovering(iw, params.outWidth);
  let outBase = plane * params.outHeight * params.outWidth;
  var acc = 0.0;
  for (var oh = rows.x; oh <= rows.y; oh++) {
    for (var ow = cols.x; ow <= cols.y; ow++) {
      let size = windowSize(oh, ow);
      acc += dy[outBase + oh * params.outWidth + ow] / f32(size.x * size.y);
    }
  }
  out[i] = acc;
}

@compute @workgroup_size(WG)
fn maxPoolBackwardDisjoint(@builtin(global_invocation_id) gid: vec3u) {
  let ow = gid.x;
  let oh = gid.y;
  let plane = gid.z;
  if (ow >= params.outWidth) { return; }
  let best = windowArgmax(plane * params.height * params.width, oh, ow);
  out[best] = dy[(plane * params.outHeight + oh) * params.outWidth + ow];
}
