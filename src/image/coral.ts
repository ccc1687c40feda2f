// Colour transfer on the CPU, in float64: CORAL for AdaIN's --preserve-color.

/**
 * pytorch-AdaIN's coral(source, target) (function.py; CORAL, Sun et al. 2016): the source image [3, P] planar RGB
 * re-coloured to the target's channel means, stds and correlations, in float64:
 *   ŝ = (s − μ_s)/σ_s,  t̂ likewise,  A = ŝŝᵀ + I,  B = t̂t̂ᵀ + I  (not divided by P, as upstream),
 *   out = (B^½ · A^-½ · ŝ) · σ_t + μ_t   (σ: unbiased std; square roots of the symmetric matrices by Jacobi).
 */
export function coral(source: ArrayLike<number>, target: ArrayLike<number>): Float32Array {
  const s = normalizedChannels(source);
  const t = normalizedChannels(target);
  const m = matMul(symmetricPower(t.covEye, 0.5), symmetricPower(s.covEye, -0.5));
  const P = s.norm[0].length;
  const out = new Float32Array(3 * P);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < P; p++) out[c * P + p] = (m[c][0] * s.norm[0][p] + m[c][1] * s.norm[1][p] + m[c][2] * s.norm[2][p]) * t.std[c] + t.mean[c];
  }
  return out;
}

function normalizedChannels(planes: ArrayLike<number>) {
  const P = planes.length / 3;
  if (!Number.isInteger(P) || P < 2) throw new Error(`coral: expected planar RGB with at least 2 pixels, got ${planes.length} values`);
  const mean: number[] = [];
  const std: number[] = [];
  const norm = [0, 1, 2].map((c) => {
    const v = Float64Array.from({ length: P }, (_, p) => planes[c * P + p]);
    const mu = v.reduce((a, b) => a + b, 0) / P;
    const sigma = Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / (P - 1));
    mean.push(mu);
    std.push(sigma);
    return v.map((x) => (x - mu) / sigma);
  });
  const covEye = norm.map((a, i) => norm.map((b, j) => a.reduce((sum, x, p) => sum + x * b[p], 0) + (i === j ? 1 : 0)));
  return { mean, std, norm, covEye };
}

function matMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((sum, x, k) => sum + x * b[k][j], 0)));
}

/** a^p for a symmetric positive definite a: V·diag(λ^p)·Vᵀ from cyclic Jacobi rotations (Golub & Van Loan §8.5). */
function symmetricPower(a: number[][], power: number): number[][] {
  const n = a.length;
  const A = a.map((row) => [...row]);
  const V = a.map((row, i) => row.map((_, j) => +(i === j)));
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p][q] ** 2;
    if (off === 0 || off < 1e-30 * A.reduce((s, row, i) => s + row[i] ** 2, 0)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (A[p][q] === 0) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        const rotate = (M: number[][], i: number, j: number, rows: boolean) => {
          for (let k = 0; k < n; k++) {
            const [x, y] = rows ? [M[i][k], M[j][k]] : [M[k][i], M[k][j]];
            if (rows) [M[i][k], M[j][k]] = [c * x - s * y, s * x + c * y];
            else [M[k][i], M[k][j]] = [c * x - s * y, s * x + c * y];
          }
        };
        rotate(A, p, q, false);
        rotate(A, p, q, true);
        rotate(V, p, q, false);
      }
    }
  }
  return V.map((row) => V.map((col) => row.reduce((sum, v, k) => sum + v * A[k][k] ** power * col[k], 0)));
}
