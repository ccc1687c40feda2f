// StyleGAN building blocks (NCHW f32): equalised-lr linear layer, pixel norm, noise injection, 3×3 blur.
//
// Bindings: x, w, bias, noise (read); out (read_write).
// Dispatch: grid1d(n, WG), one invocation per element written (per pixel for pixelNorm).
//
// LinearParams {batch, inFeatures, outFeatures, weightScale, biasScale}; n = batch·outFeatures:
//   linear:  out[b, o] = weightScale · Σ_i x[b, i]·w[o, i] + biasScale · bias[o]
//            (StyleGAN EqualLinear: weightScale = lr_mul/√in, biasScale = lr_mul; the bias term only in the BIAS variant)
// ChannelParams {n, channels, plane, eps, weightStride}, x [N, C, plane]:
//   pixelNorm:       out = x / √(mean_c x² + eps) per (n, pixel), n = N·plane invocations     (StyleGAN PixelNorm)
//   noiseInjection:  out[n, c, p] = x[n, c, p] + w[c·weightStride]·noise[n, 0, p]  (weightStride 0: one scalar w)
// BlurParams {n, height, width}, n = elements written:
//   blur3x3:         depthwise [1,2,1]ᵀ[1,2,1]/16, zero padding 1 (StyleGAN's Blur), same size

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> linearParams: LinearParams;
@group(0) @binding(1) var<uniform> channelParams: ChannelParams;
@group(0) @binding(2) var<uniform> blurParams: BlurParams;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> w: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> noise: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn linear(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = linearParams;
  let i = flatIndex(gid, nwg, WG);
  if (i >= p.batch * p.outFeatures) { return; }
  let o = i % p.outFeatures;
  let xRow = (i / p.outFeatures) * p.inFeatures;
  let wRow = o * p.inFeatures;
  var acc = 0.0;
  for (var k = 0u; k < p.inFeatures; k++) { acc = fma(x[xRow + k], w[wRow + k], acc); }
  var y = p.weightScale * acc;
#if BIAS
  y = fma(p.biasScale, bias[o], y);
#endif
  out[i] = y;
}

@compute @workgroup_size(WG)
fn pixelNorm(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = channelParams;
  let i = flatIndex(gid, nwg, WG);
  if (i >= p.n) { return; }
  let base = (i / p.plane) * p.channels * p.plane + i % p.plane;
  var sumSq = 0.0;
  for (var c = 0u; c < p.channels; c++) { sumSq = fma(x[base + c * p.plane], x[base + c * p.plane], sumSq); }
  let inv = inverseSqrt(sumSq / f32(p.channels) + p.eps);
  for (var c = 0u; c < p.channels; c++) { out[base + c * p.plane] = x[base + c * p.plane] * inv; }
}

@compute @workgroup_size(WG)
fn noiseInjection(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = channelParams;
  let i = flatIndex(gid, nwg, WG);
  if (i >= p.n) { return; }
  let c = (i / p.plane) % p.channels;
  let pixel = (i / (p.plane * p.channels)) * p.plane + i % p.plane;
  out[i] = fma(w[c * p.weightStride], noise[pixel], x[i]);
}

@compute @workgroup_size(WG)
fn blur3x3(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = blurParams;
  let i = flatIndex(gid, nwg, WG);
  if (i >= p.n) { return; }
  let col = i32(i % p.width);
  let row = i32((i / p.width) % p.height);
  let base = (i / (p.width * p.height)) * p.height * p.width;
  var acc = 0.0;
  for (var dr = -1; dr <= 1; dr++) {
    for (var dc = -1; dc <= 1; dc++) {
      let r = row + dr;
      let c = col + dc;
      if (r >= 0 && r < i32(p.height) && c >= 0 && c < i32(p.width)) {
        acc += f32((2 - abs(dr)) * (2 - abs(dc))) * x[base + u32(r) * p.width + u32(c)];
      }
    }
  }
  out[i] = acc / 16.0;
}
