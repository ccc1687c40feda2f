// Convolutions as implicit GEMM on the shared-memory tiled core (tiledGemm.wgsl), for real GPUs: conv2d's
// forward pass with its bias + activation epilogue (epilogue.wgsl), and the gather (conv2d's input gradient,
// ConvTranspose2d) as the same GEMM on the transposed weights. NCHW f32, weights in PyTorch layout, nothing
// packed or padded beforehand: the operand loads do im2col and padding on the fly.
//
// ConvParams as in conv2d.wgsl: x [N, Cx, Hx, Wx] is what the kernel reads, y [N, Cy, Hy, Wy] what it writes,
// stride s, padding padTop/padLeft (padBottom/padRight are implied by the output size).
//   conv2dTiled (forward, zero or REFLECT padding), w [Cy, Cx, KH, KW]:
//     M = Cy, N = Hy·Wy, K = Cx·KH·KW;  A[o, k] = w[o, k] (w's own row-major layout);
//     B[(c, kh, kw), (i, j)] = pad(x)[c, i·s + kh, j·s + kw];   y[o, i, j] = act(bias[o] + C[o, (i, j)])
//   convTranspose2dTiled (GATHER: the adjoint of a zero-padded forward), x on the small grid, y on the large
//   one, w [Cx, Cy, KH, KW]; with p = u + padTop − kh, q = v + padLeft − kw:
//     M = Cy, N = Hy·Wy, K = Cx·KH·KW;  A[c, (k, kh, kw)] = w[k, c, kh, kw];
//     B[(k, kh, kw), (u, v)] = x[k, p/s, q/s] where s divides p and q and both land inside x, else 0;
//     y[c, u, v] = bias[c] + C[c, (u, v)]
//   At stride s only 1/s² of the gather's K terms are non-zero; the zeros cost multiply-adds, not loads.
// Padding: source() of padSource.wgsl.
// Bindings: x, w, bias (BIAS only) (read); y (read_write). Dispatch [ceil(Hy·Wy / TN), ceil(Cy / TM), N].

@group(0) @binding(0) var<uniform> params: ConvParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn loadA(m: u32, k: u32, batch: u32) -> f32 {
  let P = params;
#if GATHER
  let taps = u32(P.KH * P.KW);
  return w[((k / taps) * u32(P.Cy) + m) * taps + k % taps];
#else
  return w[m * u32(P.Cx * P.KH * P.KW) + k];
#endif
}

// Output pixel n of item `batch`: where x's item starts and, on the padded grid of x, the top-left corner
// (forward: i·s − padTop, j·s − padLeft) or the pixel itself (gather: i + padTop, j + padLeft) of its taps.
struct BColumn {
  base: i32,
  row: i32,
  col: i32,
}

fn bColumn(n: u32, batch: u32) -> BColumn {
  let P = params;
  let i = i32(n) / P.Wy;
  let j = i32(n) % P.Wy;
  let base = i32(batch) * P.Cx * P.Hx * P.Wx;
#if GATHER
  return BColumn(base, i + P.padTop, j + P.padLeft);
#else
  return BColumn(base, i * P.stride - P.padTop, j * P.stride - P.padLeft);
#endif
}

fn loadB(k: u32, at: BColumn) -> f32 {
  let P = params;
  let taps = u32(P.KH * P.KW);
  let c = i32(k / taps);
  let kh = i32(k % taps) / P.KW;
  let kw = i32(k % taps) % P.KW;
#if GATHER
  let p = at.row - kh;
  let q = at.col - kw;
  if (p < 0 || q < 0 || p % P.stride != 0 || q % P.stride != 0) { return 0.0; }
  let r = p / P.stride;
  let col = q / P.stride;
  if (r >= P.Hx || col >= P.Wx) { return 0.0; }
#else
  let r = source(at.row + kh, P.Hx);
  let col = source(at.col + kw, P.Wx);
  if (r < 0 || col < 0) { return 0.0; }
#endif
  return x[at.base + (c * P.Hx + r) * P.Wx + col];
}

@compute @workgroup_size(GEMM_THREADS)
fn conv2dTiled(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3u) {
  let M = u32(params.Cy);
  let N = u32(params.Hy * params.Wy);
  let K = u32(params.Cx * params.KH * params.KW);
  let m0 = wg.y * TM;
  let n0 = wg.x * TN;
  let acc = gemmTile(lid, m0, n0, wg.z, M, N, K);
  for (var r = 0u; r < 4u; r++) {
    let m = gemmRow(lid, m0, r);
    if (m >= M) { break; }
#if BIAS
    let b = bias[m];
#else
    let b = 0.0;
#endif
    let yRow = (wg.z * M + m) * N;
    for (var c = 0u; c < 4u; c++) {
      let n = gemmCol(lid, n0, c);
      if (n < N) { y[yRow + n] = activate(acc[r][c] + b); }
    }
  }
}
