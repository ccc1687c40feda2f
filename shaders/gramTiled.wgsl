// Gram matrices and their backward on the shared-memory tiled core (tiledGemm.wgsl), for real GPUs.
// F [N, C, P] (P = H·W positions), G and dG [N, C, C], GramParams (channels C, positions P, norm).
//   gramTiled:          G[n] = F[n]·F[n]ᵀ / norm     M = N = C, K = P;  A[i, p] = F[n, i, p], B[p, j] = F[n, j, p]
//                        (B_ALONG_K: Bᵀ's rows are F's, contiguous along K)
//   gramBackwardTiled (BACKWARD): dF[n] = (dG[n] + dG[n]ᵀ)·F[n] / norm
//                        M = C, N = P, K = C;  A[i, k] = (dG[n, i, k] + dG[n, k, i]) / norm, B[k, p] = F[n, k, p]
// Bindings: F, dG (BACKWARD) (read); G or dF (read_write). Dispatch [ceil(N / TN), ceil(M / TM), batch items].

@group(0) @binding(0) var<uniform> params: GramParams;
@group(0) @binding(1) var<storage, read> F: array<f32>;
@group(0) @binding(2) var<storage, read> dG: array<f32>;
@group(0) @binding(3) var<storage, read_write> G: array<f32>;
@group(0) @binding(4) var<storage, read_write> dF: array<f32>;

fn loadA(m: u32, k: u32, batch: u32) -> f32 {
  let C = params.channels;
#if BACKWARD
  let base = batch * C * C;
  return (dG[base + m * C + k] + dG[base + k * C + m]) / params.norm;
#else
  return F[(batch * C + m) * params.positions + k];
#endif
}

// Column n of B: where its values start in F (gram: row n of F[batch]; backward: column n of F[batch]).
struct BColumn {
  base: u32,
}

fn bColumn(n: u32, batch: u32) -> BColumn {
#if BACKWARD
  return BColumn(batch * params.channels * params.positions + n);
#else
  return BColumn((batch * params.channels + n) * params.positions);
#endif
}

fn loadB(k: u32, at: BColumn) -> f32 {
#if BACKWARD
  return F[at.base + k * params.positions];
#else
  return F[at.base + k];
#endif
}

@compute @workgroup_size(GEMM_THREADS)
fn gramTiled(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3u) {
  let C = params.channels;
#if BACKWARD
  let N = params.positions;
  let K = C;
#else
  let N = C;
  let K = params.positions;
#endif
  let m0 = wg.y * TM;
  let n0 = wg.x * TN;
  let acc = gemmTile(lid, m0, n0, wg.z, C, N, K);
  for (var r = 0u; r < 4u; r++) {
    let m = gemmRow(lid, m0, r);
    if (m >= C) { break; }
    let row = (wg.z * C + m) * N;
    for (var c = 0u; c < 4u; c++) {
      let n = gemmCol(lid, n0, c);
#if BACKWARD
      if (n < N) { dF[row + n] = acc[r][c]; }
#else
      if (n < N) { G[row + n] = acc[r][c] / params.norm; }
#endif
    }
  }
}
