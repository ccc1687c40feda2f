// A planar [1, 3, H, W] f32 tensor drawn onto a render target, one fragment per pixel, through an affine map to
// RGB bytes (preview.ts's PixelAffine): byte = clamp(round_half_up(image · x + content · c + bias), 0, 255), where
// x is the pixel's three values in the drawn tensor and c in a second tensor of the same shape (Gatys's content,
// for original colours; the drawn tensor itself, with a zero matrix, otherwise).

struct Params {
  width: u32,
  height: u32,
  _pad0: u32,
  _pad1: u32,
  image: mat3x3f,
  content: mat3x3f,
  bias: vec4f,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> planes: array<f32>;
@group(0) @binding(2) var<storage, read> contentPlanes: array<f32>;

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
  let x = vec3f(planes[i], planes[n + i], planes[2u * n + i]);
  let c = vec3f(contentPlanes[i], contentPlanes[n + i], contentPlanes[2u * n + i]);
  let rgb = params.image * x + params.content * c + params.bias.xyz;
  let bytes = clamp(floor(rgb + 0.5), vec3f(0.0), vec3f(255.0));
  return vec4f(bytes / 255.0, 1.0);
}
