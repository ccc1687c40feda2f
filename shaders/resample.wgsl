// Resampling of NCHW f32 images: nearest 2× upsampling and bilinear resize (their backward passes are
// resampleBackward.wgsl, a module of its own on this one, so a page that never differentiates does not carry them).
//
// Bindings: x (read); out (read_write).
// Dispatch: grid1d(n, WG), one invocation per element written.
// ResizeParams {n, height, width, outHeight, outWidth, scaleY, scaleX}; n = elements written:
//   upsampleNearest2x:          out[h, w] = x[⌊h/2⌋, ⌊w/2⌋]
//   resizeBilinear:             PyTorch interpolate(mode='bilinear', align_corners=False): source coordinate
//                               max(scale·(o + 0.5) − 0.5, 0) with scale = in/out, neighbours clamped to the edge

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: ResizeParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn upsampleNearest2x(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = params;
  let i = flatIndex(gid, nwg, WG);
  if (i >= p.n) { return; }
  let ow = i % p.outWidth;
  let oh = (i / p.outWidth) % p.outHeight;
  let plane = i / (p.outWidth * p.outHeight);
  out[i] = x[(plane * p.height + oh / 2u) * p.width + ow / 2u];
}

// Lower neighbour, upper neighbour and weight of the upper one along an axis of `size` for output o.
fn bilinearTap(o: u32, scale: f32, size: u32) -> vec3f {
  let src = max(scale * (f32(o) + 0.5) - 0.5, 0.0);
  let i0 = min(u32(src), size - 1u);
  let i1 = min(i0 + 1u, size - 1u);
  return vec3f(f32(i0), f32(i1), src - f32(i0));
}

@compute @workgroup_size(WG)
fn resizeBilinear(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = params;
  let i = flatIndex(gid, nwg, WG);
  if (i >= p.n) { return; }
  let ow = i % p.outWidth;
  let oh = (i / p.outWidth) % p.outHeight;
  let base = (i / (p.outWidth * p.outHeight)) * p.height * p.width;
  let ty = bilinearTap(oh, p.scaleY, p.height);
  let tx = bilinearTap(ow, p.scaleX, p.width);
  let r0 = base + u32(ty.x) * p.width;
  let r1 = base + u32(ty.y) * p.width;
  let top = mix(x[r0 + u32(tx.x)], x[r0 + u32(tx.y)], tx.z);
  let bottom = mix(x[r1 + u32(tx.x)], x[r1 + u32(tx.y)], tx.z);
  out[i] = mix(top, bottom, ty.z);
}
