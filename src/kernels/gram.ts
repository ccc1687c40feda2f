// Gram matrices G = F·Fᵀ / norm of [N, C, H, W] feature maps and their backward, each with a kernel table
// (planner.ts): register-blocked (shaders/gram.wgsl), on subgroups (matmulSubgroup.ts), preferred by the 'cpu'
// profile, and on shared-memory tiles (shaders/gramTiled.wgsl), preferred by the 'gpu' profile.
import type { Engine } from '../runtime/engine.ts';
import { kernel, kernelVariants, shaderModule } from '../runtime/kernel.ts';
import type { GpuContext } from '../runtime/device.ts';
import { type Shape, type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/gram.wgsl?raw';
import tiledSource from '../../shaders/gramTiled.wgsl?raw';
import tiledGemmWgsl from '../../shaders/tiledGemm.wgsl?raw';
import { type Lanes, subgroupLanes } from './conv2dSubgroup.ts';
import { gramSubgroup, matmulSubgroup, symmetrizeRows } from './matmulSubgroup.ts';
import { type KernelCandidate, kernelTable, optionReason, plan } from './planner.ts';
import { type GemmTile, gemmGrid, gemmReason, gemmTileFor } from './tiledGemm.ts';

const TX = 8;
const TY = 8;
/** Rows and columns of G one invocation computes; gramBackward computes BLOCK channels × 2·BLOCK positions. */
const BLOCK = 4;
export const GramParams = uniformStruct('GramParams', { channels: 'u32', positions: 'u32', norm: 'f32' });
const module = shaderModule('gram', source, [GramParams]);
const constants = { TX, TY };

export const gramKernel = kernel(module, { entryPoint: 'gram', bindings: ['F', 'G'], uniforms: GramParams, constants });
export const gramBackwardKernel = kernel(module, { entryPoint: 'gramBackward', bindings: ['F', 'dG', 'dF'], uniforms: GramParams, constants });

/** The shared-memory tiled kernels (shaders/gramTiled.wgsl on tiledGemm.wgsl), for real GPUs: one entry point,
 *  BACKWARD picks the operands. */
const tiledModule = shaderModule('gramTiled', tiledSource, [GramParams], [tiledGemmWgsl]);
const gramTiledKernel = kernelVariants((backward: boolean, tile: GemmTile) =>
  kernel(tiledModule, {
    entryPoint: 'gramTiled',
    name: backward ? 'gramBackwardTiled' : 'gramTiled',
    bindings: backward ? ['F', 'dG', 'dF'] : ['F', 'G'],
    uniforms: GramParams,
    constants: { TM: tile.TM, TN: tile.TN, TK: tile.TK },
    defines: { BACKWARD: backward, B_ALONG_K: !backward },
  }),
);

/** The GEMM C of gramMatrix (C × C) or its backward (C × H·W) per batch item. */
function gramGemm(p: GramProblem, backward: boolean): [M: number, N: number, batches: number] {
  const [N, C, H, W] = p.F;
  return [C, backward ? H * W : C, N];
}

/** G = F·Fᵀ / norm (dG undefined) or dF = (dG + dGᵀ)·F / norm on the tiled core, with `tile` or the preset
 *  gemmTileFor picks. */
export function gramTiled(e: Engine, F: Tensor, dG: Tensor | undefined, norm: number, tile?: GemmTile): Tensor {
  const [M, N, batches] = gramGemm({ F: F.shape }, !!dG);
  const t = gemmTileFor(e.ctx, M, N, tile);
  if (typeof t === 'string') throw new Error(`${dG ? 'gramBackwardTiled' : 'gramTiled'}: ${t}`);
  const [, C, H, W] = F.shape;
  const out = e.empty(dG ? F.shape : [batches, C, C]);
  const bindings: Record<string, Tensor> = dG ? { F, dG, dF: out } : { F, G: out };
  e.run(gramTiledKernel(!!dG, t), { bindings, uniforms: { channels: C, positions: H * W, norm }, workgroups: gemmGrid(t, M, N, batches) });
  return out;
}

/** `impl`: a row of gramKernels (gramMatrix) or gramBackwardKernels (gramMatrixBackward), or 'auto' (the
 *  default): the first that fits in the device profile's order; `lanes` (4 or 8) the subgroup kernels' option. */
export interface GramChoice {
  impl?: string;
  lanes?: Lanes;
}

/** A Gram matrix (or its backward) of F [N, C, H, W]. */
export interface GramProblem {
  F: Shape;
  lanes?: Lanes;
}

interface GramCandidate extends KernelCandidate<GramProblem> {
  run(e: Engine, p: GramProblem, F: Tensor, dG: Tensor | undefined, norm: number): Tensor;
}

/** Why the subgroup kernels cannot take F (they read H·W as vec4 rows, 16 columns per workgroup). */
function subgroupGramReason(p: GramProblem, ctx: GpuContext): string | undefined {
  const [, C, H, W] = p.F;
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  const have = subgroupLanes(ctx);
  if ((H * W) % 4 !== 0) return `needs H·W a multiple of 4, got ${H}×${W}`;
  if (Math.ceil((H * W) / 16) > maxDim || Math.ceil(C / 4) > maxDim) return `needs at most ${16 * maxDim} positions and ${4 * maxDim} channels`;
  if (!have) return "needs the 'subgroups' feature with at least 4 invocations per subgroup";
  if (p.lanes !== undefined && p.lanes !== 4 && p.lanes !== 8) return `takes lanes 4 or 8, got ${p.lanes}`;
  if (p.lanes !== undefined && have < p.lanes) return `needs subgroups of at least ${p.lanes} invocations for lanes ${p.lanes}; this device's hold ${have}`;
  return undefined;
}
const lanesFor = (e: Engine, p: GramProblem) => p.lanes ?? (subgroupLanes(e.ctx) as Lanes);

/** gramMatrix's kernels. */
export const gramKernels = kernelTable<GramProblem, GramCandidate>({
  family: 'Gram matrix',
  candidates: [
    {
      name: 'gramSubgroup',
      options: ['lanes'],
      fits: subgroupGramReason,
      run(e, p, F, _dG, norm) {
        const [N, C, H, W] = p.F;
        return gramSubgroup(e, F, { N, M: C, P: H * W }, norm, lanesFor(e, p));
      },
    },
    {
      // Shared-memory tiles (gramTiled), any shape: for real GPUs.
      name: 'gramTiled',
      options: [],
      fits(p, ctx) {
        return optionReason(p, this.options) ?? gemmReason(ctx, ...gramGemm(p, false));
      },
      run: (e, _p, F, _dG, norm) => gramTiled(e, F, undefined, norm),
    },
    {
      // BLOCK × BLOCK entries of G per invocation, any shape.
      name: 'gram',
      options: [],
      fits(p) {
        return optionReason(p, this.options);
      },
      run(e, p, F, _dG, norm) {
        const [N, C, H, W] = p.F;
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
      },
    },
  ],
  preference: { cpu: ['gramSubgroup', 'gram'], gpu: ['gramTiled', 'gram'] },
});

/** gramMatrixBackward's kernels. */
export const gramBackwardKernels = kernelTable<GramProblem, GramCandidate>({
  family: 'Gram matrix backward',
  candidates: [
    {
      // dF[n] = S[n]·F[n] with S = (dG + dGᵀ) / norm: a matrix product per batch item.
      name: 'matmulSubgroup',
      options: ['lanes'],
      fits: subgroupGramReason,
      run(e, p, F, dG, norm) {
        const [N, C, H, W] = p.F;
        const S = symmetrizeRows(e, dG!, norm);
        const dF = matmulSubgroup(e, S, F, { N, M: C, K: C, P: H * W }, { lanes: lanesFor(e, p), perItem: true, outShape: p.F });
        S.release();
        return dF;
      },
    },
    {
      // Shared-memory tiles (gramTiled), any shape: for real GPUs.
      name: 'gramBackwardTiled',
      options: [],
      fits(p, ctx) {
        return optionReason(p, this.options) ?? gemmReason(ctx, ...gramGemm(p, true));
      },
      run: (e, _p, F, dG, norm) => gramTiled(e, F, dG, norm),
    },
    {
      // BLOCK channels × 2·BLOCK positions of dF per invocation, any shape.
      name: 'gramBackward',
      options: [],
      fits(p) {
        return optionReason(p, this.options);
      },
      run(e, p, F, dG, norm) {
        const [N, C, H, W] = p.F;
        const positions = H * W;
        const dF = e.empty(p.F);
        e.run(gramBackwardKernel, {
          bindings: { F, dG: dG!, dF },
          uniforms: { channels: C, positions, norm },
          workgroups: [Math.ceil(Math.ceil(positions / (2 * BLOCK)) / TX), Math.ceil(Math.ceil(C / BLOCK) / TY), N],
          defines: { VEC4: positions % 4 === 0 },
        });
        return dF;
      },
    },
  ],
  preference: { cpu: ['matmulSubgroup', 'gramBackward'], gpu: ['gramBackwardTiled', 'gramBackward'] },
});

function checkFeatures(op: string, F: Tensor, norm: number): void {
  if (F.shape.length !== 4 || F.size === 0) throw new Error(`${op}: F must be a non-empty [N, C, H, W] tensor, got ${shapeString(F.shape)}`);
  if (!Number.isFinite(norm) || norm === 0) throw new Error(`${op}: norm must be finite and non-zero, got ${norm}`);
}

/** G[n] = F[n]·F[n]ᵀ / norm for F [N, C, H, W] viewed as N matrices C × (H·W); G is [N, C, C]. */
export function gramMatrix(e: Engine, F: Tensor, norm: number, choice: GramChoice = {}): Tensor {
  checkFeatures('gramMatrix', F, norm);
  const p = { F: F.shape, lanes: choice.lanes };
  return plan(gramKernels, 'gramMatrix', p, e.ctx, choice.impl).run(e, p, F, undefined, norm);
}

/** dF = (dG + dGᵀ)·F / norm per batch item: the gradient of gramMatrix(F, norm) for upstream dG [N, C, C]. */
export function gramMatrixBackward(e: Engine, F: Tensor, dG: Tensor, norm: number, choice: GramChoice = {}): Tensor {
  checkFeatures('gramMatrixBackward', F, norm);
  const [N, C] = F.shape;
  if (dG.shape.length !== 3 || dG.shape[0] !== N || dG.shape[1] !== C || dG.shape[2] !== C) {
    throw new Error(`gramMatrixBackward: dG must be [${N}, ${C}, ${C}] for F ${shapeString(F.shape)}, got ${shapeString(dG.shape)}`);
  }
  const p = { F: F.shape, lanes: choice.lanes };
  return plan(gramBackwardKernels, 'gramMatrixBackward', p, e.ctx, choice.impl).run(e, p, F, dG, norm);
}
