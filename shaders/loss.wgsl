// Loss terms: mean squared error and total variation, and their backward, each times a loss weight w (1 unless the
// fusion pass's lossWeight rewrite folded the graph's scale into it).
//
// Layout: a, b, x, out flat f32 (x, out [N, C, H, W] for TV); dL [1]: the upstream gradient of the scalar loss,
// read on the GPU so an optimizer never has to read it back.
//   MSE(a, b) = mean((a − b)²) needs no kernel here: loss.ts computes d = a − b (elementwise axpy), Σd² (reduce
//   dot) and the w/n scale.
//   mseBackward:  out = 2w·(a − b)·dL / n                                    (params.scale = 2w/n)
//   TV(x) = Σ_{n,c} Σ_{i,j} (x[i+1, j] − x[i, j])² + (x[i, j+1] − x[i, j])², each difference wherever both pixels
//   exist: the squared total variation of neural-style's TVLoss summed over all channels. (neural-style's Lua
//   gradient takes both differences only on the (H−1)×(W−1) interior, dropping the last row's horizontal and the
//   last column's vertical terms; this is the common PyTorch form, checked against torch in test/golden.)
//   tvTerms:      out[n, c, i, j] = w·((x[i+1, j] − x[i, j])² [i + 1 < H] + (x[i, j+1] − x[i, j])² [j + 1 < W]);
//                 w·TV = sum(out) with the reduce kernels                    (params.scale = w; 1·t = t exactly)
//   tvBackward:   out[i, j] = 2w·dL·((x[i, j] − x[i−1, j])[i > 0] − (x[i+1, j] − x[i, j])[i + 1 < H]
//                                   + (x[i, j] − x[i, j−1])[j > 0] − (x[i, j+1] − x[i, j])[j + 1 < W])
//                                                                            (params.scale = 2w)
// Bindings: a, b, x, dL (read), out (read_write); params: LossParams {n, height, width, scale}.
// Dispatch: grid1d(n, WG), one invocation per element.

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> params: LossParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> dL: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn mseBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  if (i < params.n) { out[i] = (a[i] - b[i]) * (params.scale * dL[0]); }
}

@compute @workgroup_size(WG)
fn tvTerms(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flatIndex(gid, nwg, WG);
  if (k >= params.n) { return; }
  let W = params.width;
  let i = (k / W) % params.height;
  let j = k % W;
  let v = x[k];
  var t = 0.0;
  if (i + 1u < params.height) {
    let d = x[k + W] - v;
    t = d * d;
  }
  if (j + 1u < W) {
    let d = x[k + 1u] - v;
    t = fma(d, d, t);
  }
  out[k] = params.scale * t;
}

@compute @workgroup_size(WG)
fn tvBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flatIndex(gid, nwg, WG);
  if (k >= params.n) { return; }
  let W = params.width;
  let i = (k / W) % params.height;
  let j = k % W;
  let v = x[k];
  var g = 0.0;
  if (i > 0u) { g += v - x[k - W]; }
  if (i + 1u < params.height) { g -= x[k + W] - v; }
  if (j > 0u) { g += v - x[k - 1u]; }
  if (j + 1u < W) { g -= x[k + 1u] - v; }
  out[k] = params.scale * dL[0] * g;
}
