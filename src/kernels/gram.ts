// Gram matrices G = F·Fᵀ / norm of [N, C, H, W] feature maps and their backward: register-blocked
// (shaders/gram.wgsl) and, for CPU adapters, on subgroups (matmulSubgroup.ts).
import type { Engine } from '../runtime/engine.ts';
import { kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/gram.wgsl?raw';
import { type Lanes, subgroupLanes } from './conv2dSubgroup.ts';
import { gramSubgroup, matmulSubgroup, symmetrizeRows } from './matmulSubgroup.ts';

const TX = 8;
const TY = 8;
/** Rows and columns of G one invocation computes; gramBackward computes BLOCK channels × 2·BLOCK positions. */
const BLOCK = 4;
export const GramParams = uniformStruct('GramParams', { channels: 'u32', positions: 'u32', norm: 'f32' });
const module = shaderModule('gram', source, [GramParams]);
const constants = { TX, TY };

export const gramKernel = kernel(module, { entryPoint: 'gram', bindings: ['F', 'G'], uniforms: GramParams, constants });
export const gramBackwardKernel = kernel(module, { entryPoint: 'gramBackward', bindings: ['F', 'dG', 'dF'], uniforms: GramParams, constants });

/** 'subgroup' (matmulSubgroup.wgsl: CPU adapters, subgroups of ≥ 4 invocations, H·W a multiple of 4; `lanes` 4
 *  or 8, default the most the subgroups hold) or 'blocked' (gram.wgsl, any adapter and shape); 'auto' (the
 *  default) takes subgroup on CPU adapters where it applies. */
export interface GramChoice {
  impl?: 'auto' | 'subgroup' | 'blocked';
  lanes?: Lanes;
}

/** The subgroup kernels' lane count for this call, or 0 for the blocked kernels. */
function subgroupChoice(e: Engine, op: string, F: Tensor, c: GramChoice): 0 | Lanes {
  const impl = c.impl ?? 'auto';
  const [, C, H, W] = F.shape;
  const lanes = subgroupLanes(e.ctx);
  const maxDim = e.ctx.limits.maxComputeWorkgroupsPerDimension;
  const fits = (H * W) % 4 === 0 && Math.ceil((H * W) / 16) <= maxDim && Math.ceil(C / 4) <= maxDim;
  if (c.lanes !== undefined && (impl !== 'subgroup' || lanes < c.lanes)) throw new Error(`${op}: lanes ${c.lanes} needs impl 'subgroup' on subgroups of at least ${c.lanes} invocations`);
  if (impl === 'subgroup') {
    if (!lanes) throw new Error(`${op}: impl 'subgroup' needs the 'subgroups' feature with at least 4 invocations per subgroup`);
    if (!fits) throw new Error(`${op}: impl 'subgroup' needs H·W a multiple of 4 (and at most ${16 * maxDim}), got ${H}×${W}`);
    return c.lanes ?? lanes;
  }
  return impl === 'auto' && e.ctx.profile === 'cpu' && fits ? lanes : 0;
}

function checkFeatures(op: string, F: Tensor, norm: number): void {
  if (F.shape.length !== 4 || F.size === 0) throw new Error(`${op}: F must be a non-empty [N, C, H, W] tensor, got ${shapeString(F.shape)}`);
  if (!Number.isFinite(norm) || norm === 0) throw new Error(`${op}: norm must be finite and non-zero, got ${norm}`);
}

/** G[n] = F[n]·F[n]ᵀ / norm for F [N, C, H, W] viewed as N matrices C × (H·W); G is [N, C, C]. */
export function gramMatrix(e: Engine, F: Tensor, norm: number, choice: GramChoice = {}): Tensor {
  checkFeatures('gramMatrix', F, norm);
  const [N, C, H, W] = F.shape;
  const positions = H * W;
  const blocks = Math.ceil(C / BLOCK);
  const lanes = subgroupChoice(e, 'gramMatrix', F, choice);
  if (lanes) return gramSubgroup(e, F, { N, M: C, P: positions }, norm, lanes);
  const G = e.empty([N, C, C]);
  e.run(gramKernel, {
    bindings: { F, G },
    uniforms: { channels: C, positions, norm },
    workgroups: [Math.ceil(blocks / TX), Math.ceil(blocks / TY), N],
    defines: { VEC4: positions % 4 === 0 },
  });
  return G;
}

/** dF = (dG + dGᵀ)·F / norm per batch item: the gradient of gramMatrix(F, norm) for upstream dG [N, C, C]. */
export function gramMatrixBackward(e: Engine, F: Tensor, dG: Tensor, norm: number, choice: GramChoice = {}): Tensor {
  checkFeatures('gramMatrixBackward', F, norm);
  const [N, C, H, W] = F.shape;
  if (dG.shape.length !== 3 || dG.shape[0] !== N || dG.shape[1] !== C || dG.shape[2] !== C) {
    throw new Error(`gramMatrixBackward: dG must be [${N}, ${C}, ${C}] for F ${shapeString(F.shape)}, got ${shapeString(dG.shape)}`);
  }
  const positions = H * W;
  const lanes = subgroupChoice(e, 'gramMatrixBackward', F, choice);
  if (lanes) {
    // dF[n] = S[n]·F[n], S = (dG + dGᵀ) / norm.
    const S = symmetrizeRows(e, dG, norm);
    const dF = matmulSubgroup(e, S, F, { N, M: C, K: C, P: positions }, { lanes, perItem: true, outShape: F.shape });
    S.release();
    return dF;
  }
  const dF = e.empty(F.shape);
  e.run(gramBackwardKernel, {
    bindings: { F, dG, dF },
    uniforms: { channels: C, positions, norm },
    workgroups: [Math.ceil(Math.ceil(positions / (2 * BLOCK)) / TX), Math.ceil(Math.ceil(C / BLOCK) / TY), N],
    defines: { VEC4: positions % 4 === 0 },
  });
  return dF;
}
