// A planar [1, 3, H, W] f32 tensor drawn onto a canvas texture, one fragment per pixel, with the byte mapping of
// planesToImage (src/image/io.ts): byte = clamp(round_half_up((value − offset[c]) / scale), 0, 255).

struct Params {
  width: u32,
  height: u32,
  _pad0: u32,
  _pad1: u32,
  /** 1 / scale per channel (xyz). */
  inverseScale: vec4f,
  offset: vec4f,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> planes: array<f32>;

// One triangle that covers the viewport.
@vertex
fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  let corner = vec2f(f32((i << 1u) & 2u), f32(i & 2u));
  return vec4f(corner * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fs(@builtin(position) position: vec4f) -> @location(0) vec4f {
  let n = params.width * params.height;
  let i = u32(position.y) * params.width + u32(position.x);
  let value = vec3f(planes[i], planes[n + i], planes[2u * n + i]);
  let bytes = clamp(floor((value - params.offset.xyz) * params.inverseScale.xyz + 0.5), vec3f(0.0), vec3f(255.0));
  return vec4f(bytes / 255.0, 1.0);
}
