// ---- shaders/tiledGemm.wgsl: the shared-memory tiled matrix-product core of the kernels written for real
// GPUs (conv2dTiled.wgsl, gramTiled.wgsl), included by them.
//
// C[batch] (M × N) = A[batch] (M × K) · B[batch] (K × N), where the including module says what A and B are
// (implicit GEMM: nothing is materialised) by defining
//   fn loadA(m: u32, k: u32, batch: u32) -> f32      called only with m < M, k < K
//   struct BColumn, fn bColumn(n: u32, batch: u32) -> BColumn
//                                                    what loadB needs of column n (any n: only arithmetic)
//   fn loadB(k: u32, col: BColumn) -> f32             called only with k < K and col of an n < N
// One workgroup computes a TM × TN tile of C. Per step of TK along K it stages the TM × TK slice of A and the
// TK × TN slice of B in workgroup memory (zeros past M, N, K), each of its (TM/4)·(TN/4) invocations then
// accumulating a 4 × 4 register tile from them: rows ty + r·TM/4 and columns tx + c·TN/4 (r, c < 4), so that
// neighbouring invocations read neighbouring words of the staged tiles (no bank conflicts) and store
// neighbouring columns of C (coalesced). Per staged element a workgroup does TM·TN/(TM + TN) multiply-adds
// from workgroup memory instead of global memory.
// Loads of the staged tiles: consecutive invocations take consecutive k of A (a row of A is contiguous in
// every user), and consecutive n of B, or consecutive k of B with B_ALONG_K (Bᵀ is contiguous, as in F·Fᵀ).
// Without B_ALONG_K each invocation stages the same column n of B at every step (GEMM_THREADS is a multiple
// of TN, checked by the host), so it works out bColumn (an im2col pixel's row and column) once, not per load.
// Tile shape: override constants TM, TN (multiples of 4) and TK; the host (src/kernels/tiledGemm.ts) picks a
// preset that fits the device's invocation and workgroup-storage limits. Dispatch [ceil(N/TN), ceil(M/TM),
// batches] workgroups of GEMM_THREADS; entry points must reach gemmTile from uniform control flow (it has
// barriers), i.e. bounds-check only the stores.

override TM: u32 = 64u;
override TN: u32 = 64u;
override TK: u32 = 16u;
override GEMM_THREADS: u32 = (TM / 4u) * (TN / 4u);

var<workgroup> tileA: array<f32, TK * TM>;  // tileA[kk·TM + mm] = A[m0 + mm, k0 + kk]
var<workgroup> tileB: array<f32, TK * TN>;  // tileB[kk·TN + nn] = B[k0 + kk, n0 + nn]

// Row of C that register row r of invocation lid holds, in the tile starting at row m0.
fn gemmRow(lid: u32, m0: u32, r: u32) -> u32 {
  return m0 + lid / (TN / 4u) + r * (TM / 4u);
}

// Column of C that register column c of invocation lid holds, in the tile starting at column n0.
fn gemmCol(lid: u32, n0: u32, c: u32) -> u32 {
  return n0 + lid % (TN / 4u) + c * (TN / 4u);
}

// acc[r][c] = C[gemmRow(lid, m0, r), gemmCol(lid, n0, c)] of item `batch` (0 past M or N).
fn gemmTile(lid: u32, m0: u32, n0: u32, batch: u32, M: u32, N: u32, K: u32) -> array<vec4f, 4> {
  let tx = lid % (TN / 4u);
  let ty = lid / (TN / 4u);
  var acc: array<vec4f, 4>;
#if B_ALONG_K
#else
  let nn = lid % TN;
  let column = bColumn(n0 + nn, batch);
#endif
  for (var k0 = 0u; k0 < K; k0 += TK) {
    for (var l = lid; l < TM * TK; l += GEMM_THREADS) {
      let mm = l / TK;
      let kk = l % TK;
      var v = 0.0;
      if (m0 + mm < M && k0 + kk < K) { v = loadA(m0 + mm, k0 + kk, batch); }
      tileA[kk * TM + mm] = v;
    }
    for (var l = lid; l < TK * TN; l += GEMM_THREADS) {
#if B_ALONG_K
      let kk = l % TK;
      let nn = l / TK;
      let column = bColumn(n0 + nn, batch);
#else
      let kk = l / TN;
#endif
      var v = 0.0;
      if (k0 + kk < K && n0 + nn < N) { v = loadB(k0 + kk, column); }
      tileB[kk * TN + nn] = v;
    }
    workgroupBarrier();
    let kSteps = min(TK, K - k0);
    for (var kk = 0u; kk < kSteps; kk++) {
      let row = kk * TN + tx;
      let q = TN / 4u;
      let b = vec4f(tileB[row], tileB[row + q], tileB[row + 2u * q], tileB[row + 3u * q]);
      for (var r = 0u; r < 4u; r++) {
        acc[r] = fma(vec4f(tileA[kk * TM + ty + r * (TM / 4u)]), b, acc[r]);
      }
    }
    workgroupBarrier();
  }
  return acc;
}
