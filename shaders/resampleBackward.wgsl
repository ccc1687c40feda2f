// The backward passes of resample.wgsl, whose bindings, parameters and bilinearTap this module includes.
//
// Bindings: dy (read); out (read_write); n = input elements:
//   upsampleNearest2xBackward:  dx[h, w] = Σ of dy over its 2×2 children
//   resizeBilinearBackward:     dx[h, w] = Σ_{oh, ow} wy(oh, h)·wx(ow, w)·dy[oh, ow], gathered over the outputs
//                               whose taps can reach (h, w)

@group(0) @binding(2) var<storage, read> dy: array<f32>;

@compute @workgroup_size(WG)
fn upsampleNearest2xBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = params;
  let i = flatIndex(gid, nwg, WG);
  if (i >= p.n) { return; }
  let iw = i % p.width;
  let ih = (i / p.width) % p.height;
  let plane = i / (p.width * p.height);
  let top = (plane * p.outHeight + 2u * ih) * p.outWidth + 2u * iw;
  out[i] = (dy[top] + dy[top + 1u]) + (dy[top + p.outWidth] + dy[top + p.outWidth + 1u]);
}

// Weight with which output o reads input i along an axis (0 if it does not): the transpose of bilinearTap.
fn bilinearWeight(o: u32, i: u32, scale: f32, size: u32) -> f32 {
  let tap = bilinearTap(o, scale, size);
  return select(0.0, 1.0 - tap.z, u32(tap.x) == i) + select(0.0, tap.z, u32(tap.y) == i);
}

// Outputs [lo, hi] that may read input i: source coordinate in [i − 1, i + 1), widened by one for rounding.
fn bilinearReach(i: u32, scale: f32, outSize: u32) -> vec2i {
  let lo = max(i32(floor((f32(i) - 0.5) / scale - 0.5)) - 1, 0);
  let hi = min(i32(ceil((f32(i) + 1.5) / scale - 0.5)) + 1, i32(outSize) - 1);
  return vec2i(lo, hi);
}

@compute @workgroup_size(WG)
fn resizeBilinearBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = params;
  let i = flatIndex(gid, nwg, WG);
  if (i >= p.n) { return; }
  let iw = i % p.width;
  let ih = (i / p.width) % p.height;
  let base = (i / (p.width * p.height)) * p.outHeight * p.outWidth;
  let rows = bilinearReach(ih, p.scaleY, p.outHeight);
  let cols = bilinearReach(iw, p.scaleX, p.outWidth);
  var acc = 0.0;
  for (var oh = rows.x; oh <= rows.y; oh++) {
    let wy = bilinearWeight(u32(oh), ih, p.scaleY, p.height);
    if (wy == 0.0) { continue; }
    var row = 0.0;
    for (var ow = cols.x; ow <= cols.y; ow++) {
      row = fma(bilinearWeight(u32(ow), iw, p.scaleX, p.width), dy[base + u32(oh) * p.outWidth + u32(ow)], row);
    }
    acc = fma(wy, row, acc);
  }
  out[i] = acc;
}
