// Strong-Wolfe line search: torch/optim/lbfgs.py `_cubic_interpolate` and `_strong_wolfe` (torch 1.13), ported
// statement by statement. The control flow runs here on the CPU; each trial point costs one objective call whose
// loss and directional derivative gᵀd the caller reads back. Gradients stay opaque (`G`, GPU tensors in
// lbfgs.ts): those no longer referenced are handed to `discard` as soon as torch would drop them.

/** The objective along the search direction: f(x + t·d), its gradient and gᵀd. */
export interface Trial<G> {
  loss: number;
  grad: G;
  gtd: number;
}

export interface LineSearchResult<G> {
  loss: number;
  grad: G;
  t: number;
  evaluations: number;
}

/** Minimiser of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to bounds (default [min, max] of x1, x2). */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: readonly [number, number]): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  // d1 = g1 + g2 − 3(f1 − f2)/(x1 − x2);  d2 = √(d1² − g1·g2);  min_pos = x2 − (x2 − x1)(g2 + d2 − d1)/(g2 − g1 + 2·d2)
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

export interface StrongWolfeOptions<G> {
  /** max|d|, read only if the zoom phase needs it (torch computes it up front). */
  maxAbsD: () => Promise<number>;
  /** Called with each gradient from `evaluate` once nothing refers to it any more (never with the input g). */
  discard: (grad: G) => void;
  c1?: number;
  c2?: number;
  toleranceChange?: number;
  maxLs?: number;
}

/**
 * torch's `_strong_wolfe(obj_func, x, t, d, f, g, gtd)`: from step t along d, with f, g and gtd = gᵀd at t = 0,
 * find a step satisfying the strong Wolfe conditions. LBFGS.step calls it with the defaults c1 = 1e-4, c2 = 0.9,
 * tolerance_change = 1e-9 (not the optimiser's) and max_ls = 25.
 */
export async function strongWolfe<G>(
  evaluate: (t: number) => Promise<Trial<G>>,
  t: number,
  f: number,
  g: G,
  gtd: number,
  { maxAbsD, discard, c1 = 1e-4, c2 = 0.9, toleranceChange = 1e-9, maxLs = 25 }: StrongWolfeOptions<G>,
): Promise<LineSearchResult<G>> {
  const produced = new Set<G>();
  const keepOnly = (...keep: G[]) => {
    for (const p of produced) {
      if (!keep.includes(p)) {
        produced.delete(p);
        discard(p);
      }
    }
  };
  let evaluations = 0;
  const trial = async (at: number) => {
    const r = await evaluate(at);
    produced.add(r.grad);
    evaluations++;
    return r;
  };

  try {
    let dNorm: number | undefined;
    let { loss: fNew, grad: gNew, gtd: gtdNew } = await trial(t);

    // bracket an interval containing a point satisfying the Wolfe criteria
    let tPrev = 0;
    let fPrev = f;
    let gPrev = g;
    let gtdPrev = gtd;
    let done = false;
    let lsIter = 0;
    let bracket: number[] = [];
    let bracketF: number[] = [];
    let bracketG: G[] = [];
    let bracketGtd: number[] = [];
    while (lsIter < maxLs) {
      // check conditions
      if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
        [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
        break;
      }
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
        done = true;
        break;
      }
      if (gtdNew >= 0) {
        [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
        break;
      }
      // interpolate
      const minStep = t + 0.01 * (t - tPrev);
      const maxStep = t * 10;
      const tmp = t;
      t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
      // next step
      [tPrev, fPrev, gPrev, gtdPrev] = [tmp, fNew, gNew, gtdNew];
      ({ loss: fNew, grad: gNew, gtd: gtdNew } = await trial(t));
      keepOnly(gPrev, gNew);
      lsIter++;
    }
    // reached max number of iterations?
    if (lsIter === maxLs) [bracket, bracketF, bracketG] = [[0, t], [f, fNew], [g, gNew]];
    keepOnly(...bracketG);

    // zoom phase: we now have a point satisfying the criteria, or a bracket around it. Refine the bracket until we
    // find the exact point satisfying the criteria.
    let insufProgress = false;
    // find high and low points in bracket
    let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
    while (!done && lsIter < maxLs) {
      // line-search bracket is so small
      dNorm ??= await maxAbsD();
      if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
      // compute new trial value
      t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
      // test that we are making sufficient progress: if t is within 10 % of the bracket's length from its ends and
      // (the last step also was, or t is at an end), move t to 10 % of the length away from the nearest end.
      const hi = Math.max(...bracket);
      const lo = Math.min(...bracket);
      const eps = 0.1 * (hi - lo);
      if (Math.min(hi - t, t - lo) < eps) {
        // interpolation close to boundary
        if (insufProgress || t >= hi || t <= lo) {
          t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
          insufProgress = false;
        } else {
          insufProgress = true;
        }
      } else {
        insufProgress = false;
      }
      // evaluate new point
      ({ loss: fNew, grad: gNew, gtd: gtdNew } = await trial(t));
      lsIter++;
      if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]) {
        // Armijo condition not satisfied or not lower than lowest point
        [bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos]] = [t, fNew, gNew, gtdNew];
        [lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
      } else {
        if (Math.abs(gtdNew) <= -c2 * gtd) {
          // Wolfe conditions satisfied
          done = true;
        } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
          // old high becomes new low
          [bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos]] = [bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos]];
        }
        // new point becomes new low
        [bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos]] = [t, fNew, gNew, gtdNew];
      }
      keepOnly(...bracketG);
    }
    keepOnly(bracketG[lowPos]);
    return { loss: bracketF[lowPos], grad: bracketG[lowPos], t: bracket[lowPos], evaluations };
  } catch (e) {
    keepOnly();
    throw e;
  }
}
