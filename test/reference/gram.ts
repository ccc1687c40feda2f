// float64 CPU references for the Gram kernels, written independently of the GPU code. F is [N, C, P] flat
// (P = H·W), G and dG are [N, C, C] flat.

/** G[n, i, j] = Σ_p F[n, i, p]·F[n, j, p] / norm */
export function gram(F: ArrayLike<number>, N: number, C: number, P: number, norm: number): Float64Array {
  const G = new Float64Array(N * C * C);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) G[(n * C + i) * C + j] = gramEntry(F, C, P, n, i, j) / norm;
    }
  }
  return G;
}

/** Σ_p F[n, i, p]·F[n, j, p] (no normalisation), for spot checks on large inputs. */
export function gramEntry(F: ArrayLike<number>, C: number, P: number, n: number, i: number, j: number): number {
  let s = 0;
  for (let p = 0; p < P; p++) s += F[(n * C + i) * P + p] * F[(n * C + j) * P + p];
  return s;
}

/** Σ_p |F[n, i, p]·F[n, j, p]|: scales the rounding error bound of an f32 Gram entry. */
export function gramEntryAbs(F: ArrayLike<number>, C: number, P: number, n: number, i: number, j: number): number {
  let s = 0;
  for (let p = 0; p < P; p++) s += Math.abs(F[(n * C + i) * P + p] * F[(n * C + j) * P + p]);
  return s;
}

/** dF[n, i, p] = Σ_j (dG[n, i, j] + dG[n, j, i])·F[n, j, p] / norm */
export function gramBackward(F: ArrayLike<number>, dG: ArrayLike<number>, N: number, C: number, P: number, norm: number): Float64Array {
  const dF = new Float64Array(N * C * P);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < C; i++) {
      for (let p = 0; p < P; p++) {
        let s = 0;
        for (let j = 0; j < C; j++) s += (dG[(n * C + i) * C + j] + dG[(n * C + j) * C + i]) * F[(n * C + j) * P + p];
        dF[(n * C + i) * P + p] = s / norm;
      }
    }
  }
  return dF;
}
