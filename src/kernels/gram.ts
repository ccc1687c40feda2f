// Gram matrices G = F·Fᵀ / norm of [N, C, H, W] feature maps and their backward (shaders/gram.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/gram.wgsl?raw';

const TX = 8;
const TY = 8;
/** Rows and columns of G one invocation computes; gramBackward computes BLOCK channels × 2·BLOCK positions. */
const BLOCK = 4;
export const GramParams = uniformStruct('GramParams', { channels: 'u32', positions: 'u32', norm: 'f32' });
const module = shaderModule('gram', source, [GramParams]);
const constants = { TX, TY };

export const gramKernel = kernel(module, { entryPoint: 'gram', bindings: ['F', 'G'], uniforms: GramParams, constants });
export const gramBackwardKernel = kernel(module, { entryPoint: 'gramBackward', bindings: ['F', 'dG', 'dF'], uniforms: GramParams, constants });

function checkFeatures(op: string, F: Tensor, norm: number): void {
  if (F.shape.length !== 4 || F.size === 0) throw new Error(`${op}: F must be a non-empty [N, C, H, W] tensor, got ${shapeString(F.shape)}`);
  if (!Number.isFinite(norm) || norm === 0) throw new Error(`${op}: norm must be finite and non-zero, got ${norm}`);
}

/** G[n] = F[n]·F[n]ᵀ / norm for F [N, C, H, W] viewed as N matrices C × (H·W); G is [N, C, C]. */
export function gramMatrix(e: Engine, F: Tensor, norm: number): Tensor {
  checkFeatures('gramMatrix', F, norm);
  const [N, C, H, W] = F.shape;
  const positions = H * W;
  const blocks = Math.ceil(C / BLOCK);
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
export function gramMatrixBackward(e: Engine, F: Tensor, dG: Tensor, norm: number): Tensor {
  checkFeatures('gramMatrixBackward', F, norm);
  const [N, C, H, W] = F.shape;
  if (dG.shape.length !== 3 || dG.shape[0] !== N || dG.shape[1] !== C || dG.shape[2] !== C) {
    throw new Error(`gramMatrixBackward: dG must be [${N}, ${C}, ${C}] for F ${shapeString(F.shape)}, got ${shapeString(dG.shape)}`);
  }
  const positions = H * W;
  const dF = e.empty(F.shape);
  e.run(gramBackwardKernel, {
    bindings: { F, dG, dF },
    uniforms: { channels: C, positions, norm },
    workgroups: [Math.ceil(Math.ceil(positions / (2 * BLOCK)) / TX), Math.ceil(Math.ceil(C / BLOCK) / TY), N],
    defines: { VEC4: positions % 4 === 0 },
  });
  return dF;
}
