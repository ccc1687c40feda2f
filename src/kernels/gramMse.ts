// The style loss w·mean((G − T)²) of a Gram matrix against its target, and its gradient with respect to the
// features, without materialising G − T (shaders/gramMse.wgsl has the layout and the math). The graph's fusion
// pass (src/graph/fusion.ts, rewrite `gramMse`) runs scale(mse(gram(F), T), w) and its backward through these.
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/gramMse.wgsl?raw';
import workgroupReduceWgsl from '../../shaders/workgroupReduce.wgsl?raw';
import { type Lanes, subgroupLanes } from './conv2dSubgroup.ts';
import { type GramChoice, gramBackwardKernels } from './gram.ts';
import { matmulSubgroup } from './matmulSubgroup.ts';
import { plan } from './planner.ts';

const WG = 256;
export const GramMseParams = uniformStruct('GramMseParams', { channels: 'u32', count: 'u32', scale: 'f32' });
const module = shaderModule('gramMse', source, [GramMseParams], [workgroupReduceWgsl]);
const constants = { WG };

export const gramMseLossKernel = kernel(module, { entryPoint: 'gramMseLoss', bindings: ['G', 'T', 'loss'], uniforms: GramMseParams, constants });
export const gramMseRowsKernel = kernel(module, { entryPoint: 'gramMseRows', bindings: ['G', 'T', 'dL', 'rows'], uniforms: GramMseParams, constants });
export const gramMseGradientKernel = kernel(module, { entryPoint: 'gramMseGradient', bindings: ['G', 'T', 'dL', 'dG'], uniforms: GramMseParams, constants });

/** The loss's weight w and the Gram matrix's norm (G = F·Fᵀ/norm). */
export interface GramMseAttrs {
  weight: number;
  norm: number;
}

function checkGramPair(op: string, G: Tensor, T: Tensor): [N: number, C: number] {
  const [N, C, C2] = G.shape;
  if (G.shape.length !== 3 || C !== C2 || G.size === 0) throw new Error(`${op}: G must be a non-empty [N, C, C] Gram matrix, got ${shapeString(G.shape)}`);
  if (T.shape.length !== 3 || T.shape.some((d, i) => d !== G.shape[i])) throw new Error(`${op}: target ${shapeString(T.shape)} does not match G ${shapeString(G.shape)}`);
  return [N, C];
}

function checkScalars(op: string, { weight, norm }: GramMseAttrs): void {
  if (!Number.isFinite(weight)) throw new Error(`${op}: weight must be finite, got ${weight}`);
  if (!Number.isFinite(norm) || norm === 0) throw new Error(`${op}: norm must be finite and non-zero, got ${norm}`);
}

/** weight·mean((G − T)²) as a [1] tensor, in one dispatch. */
export function gramMseLoss(e: Engine, G: Tensor, T: Tensor, weight: number): Tensor {
  const [N, C] = checkGramPair('gramMseLoss', G, T);
  checkScalars('gramMseLoss', { weight, norm: 1 });
  const loss = e.empty([1]);
  e.run(gramMseLossKernel, { bindings: { G, T, loss }, uniforms: { channels: C, count: N * C * C, scale: weight / G.size }, workgroups: [1, 1, 1] });
  return loss;
}

/** d/dF of weight·mean((G − T)²) with G = F·Fᵀ/norm, times the upstream gradient dL [1]. On the subgroup matrix
 *  product (what the Gram backward's planner picks on CPU adapters) it is two dispatches: the symmetric rows
 *  k·(D + Dᵀ) straight from G and T, then rows·F. On any other Gram backward kernel: dG = k·D, then that kernel. */
export function gramMseBackward(e: Engine, F: Tensor, G: Tensor, T: Tensor, dL: Tensor, attrs: GramMseAttrs, choice: GramChoice = {}): Tensor {
  const [N, C] = checkGramPair('gramMseBackward', G, T);
  checkScalars('gramMseBackward', attrs);
  if (F.shape.length !== 4 || F.shape[0] !== N || F.shape[1] !== C) throw new Error(`gramMseBackward: F ${shapeString(F.shape)} is not the features of G ${shapeString(G.shape)}`);
  if (dL.size !== 1) throw new Error(`gramMseBackward: dL must hold one value (a [1] tensor), got ${shapeString(dL.shape)}`);
  const m = G.size;
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  const p = { F: F.shape, lanes: choice.lanes };
  const backward = plan(gramBackwardKernels, 'gramMseBackward', p, e.ctx, choice.impl);
  if (backward.name === 'matmulSubgroup') {
    const Cp = 4 * Math.ceil(C / 4);
    const rows = e.empty([N, C, Cp]);
    e.run(gramMseRowsKernel, { bindings: { G, T, dL, rows }, uniforms: { channels: C, count: m, scale: (2 * attrs.weight) / (m * attrs.norm) }, workgroups: grid1d(N * C * Cp, WG, maxDim) });
    const [, , H, W] = F.shape;
    const dF = matmulSubgroup(e, rows, F, { N, M: C, K: C, P: H * W }, { lanes: choice.lanes ?? (subgroupLanes(e.ctx) as Lanes), perItem: true, outShape: F.shape });
    rows.release();
    return dF;
  }
  const dG = e.empty(G.shape);
  e.run(gramMseGradientKernel, { bindings: { G, T, dL, dG }, uniforms: { channels: C, count: m, scale: (2 * attrs.weight) / m }, workgroups: grid1d(m, WG, maxDim) });
  const dF = backward.run(e, p, F, dG, attrs.norm);
  dG.release();
  return dF;
}
