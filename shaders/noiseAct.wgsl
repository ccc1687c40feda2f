// StyleGAN's noise injection followed by its leaky ReLU in one pass: the fusion pass's `noiseAct` rewrite
// (src/graph/fusion.ts) turns leakyRelu(noiseInjection(x, w, noise), slope) into this kernel
// (src/kernels/noiseAct.ts): one write of the activation instead of writing the noisy tensor and reading it back.
//
// Layout: x, out [N, C, H, W] f32; noise [N, 1, H, W]; w [C] (weightStride 1) or [1] (weightStride 0).
//   noiseInjectionLeakyRelu:  v = fma(w[c], noise[n, 0, h, w], x);  out = v > 0 ? v : slope·v
// The arithmetic of stylegan.wgsl's noiseInjection and activation.wgsl's leakyRelu (select(slope·v, v, v > 0)),
// so the result is bit-identical to the two separate passes.
// Bindings: x, w, noise (read), out (read_write); params: NoiseActParams {n, channels, plane (H·W), weightStride,
// slope}. Dispatch: grid1d(n, WG), one element per invocation.

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: NoiseActParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> noise: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn noiseInjectionLeakyRelu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i >= params.n) { return; }
  let c = (i / params.plane) % params.channels;
  let pixel = (i / (params.plane * params.channels)) * params.plane + i % params.plane;
  let v = fma(w[c * params.weightStride], noise[pixel], x[i]);
  out[i] = select(params.slope * v, v, v > 0.0);
}
