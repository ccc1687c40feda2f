// Convolutions as implicit GEMM on shared-memory tiles (shaders/conv2dTiled.wgsl on tiledGemm.wgsl), the
// conv kernels of the 'gpu' profile: conv2dTiled (forward, any stride, zero or reflect padding, bias +
// activation) and convTranspose2dTiled (the gather: conv2d's input gradient and ConvTranspose2d, any stride).
// conv2d.ts's tables run them; nothing is packed or padded beforehand.
import type { Engine } from '../runtime/engine.ts';
import type { GpuContext } from '../runtime/device.ts';
import { kernel, kernelVariants, shaderModule } from '../runtime/kernel.ts';
import type { Shape, Tensor } from '../runtime/tensor.ts';
import source from '../../shaders/conv2dTiled.wgsl?raw';
import epilogueWgsl from '../../shaders/epilogue.wgsl?raw';
import padSourceWgsl from '../../shaders/padSource.wgsl?raw';
import tiledGemmWgsl from '../../shaders/tiledGemm.wgsl?raw';
import { ConvParams, convParams } from './convParams.ts';
import { type Activation, epilogueDefines, slopeOf, withBias } from './epilogue.ts';
import type { Padding } from './geometry.ts';
import { type GemmTile, gemmGrid, gemmReason, gemmTileFor } from './tiledGemm.ts';

const module = shaderModule('conv2dTiled', source, [ConvParams], [epilogueWgsl, padSourceWgsl, tiledGemmWgsl]);
/** One entry point; GATHER picks the operands, so the two passes are two kernels by name. */
const tiledKernel = kernelVariants((gather: boolean, bias: boolean, tile: GemmTile) =>
  kernel(module, {
    entryPoint: 'conv2dTiled',
    name: gather ? 'convTranspose2dTiled' : 'conv2dTiled',
    bindings: bias ? ['x', 'w', 'bias', 'y'] : ['x', 'w', 'y'],
    uniforms: ConvParams,
    constants: { TM: tile.TM, TN: tile.TN, TK: tile.TK },
    defines: { GATHER: gather, B_ALONG_K: false },
  }),
);

/** Why the tiled kernels cannot write `out` [N, C, H, W] (the GEMM C is C × H·W per item) here, or undefined. */
export function tiledConvReason(ctx: GpuContext, out: Shape, tile?: GemmTile): string | undefined {
  const [N, C, H, W] = out;
  return gemmReason(ctx, C, H * W, N, tile);
}

function run(e: Engine, gather: boolean, x: Tensor, w: Tensor, out: Shape, uniforms: ReturnType<typeof convParams>, defines: Record<string, boolean>, bias: Tensor | undefined, tile?: GemmTile): Tensor {
  const [N, C, H, W] = out;
  const t = gemmTileFor(e.ctx, C, H * W, tile);
  if (typeof t === 'string') throw new Error(`${gather ? 'convTranspose2dTiled' : 'conv2dTiled'}: ${t}`);
  const y = e.empty(out);
  const bindings = withBias({ x, w, y }, bias);
  e.run(tiledKernel(gather, !!bias, t), { bindings, uniforms, workgroups: gemmGrid(t, C, H * W, N), defines });
  return y;
}

/** y [N, Cy, Hy, Wy] = act(bias + corr(pad(x), w)): x [N, Cx, H, W], w [Cy, Cx, KH, KW], pad zero or reflect. */
export function conv2dTiled(e: Engine, x: Tensor, w: Tensor, out: Shape, g: { stride: number; pad: Padding; reflect: boolean }, ep: { bias?: Tensor; activation?: Activation }, tile?: GemmTile): Tensor {
  const [, , KH, KW] = w.shape;
  const uniforms = convParams(x.shape, out, KH, KW, g.stride, g.pad, 0, slopeOf(ep.activation));
  return run(e, false, x, w, out, uniforms, { ...epilogueDefines(ep.bias, ep.activation), REFLECT: g.reflect }, ep.bias, tile);
}

/** The gather onto `out` [N, Cy, Hy, Wy] that `pad` (zeros) crops: y = bias + convTranspose2d(x, w) for x
 *  [N, Cx, h, w] and w [Cx, Cy, KH, KW]; with no bias, conv2d's input gradient. */
export function convTranspose2dTiled(e: Engine, x: Tensor, w: Tensor, out: Shape, stride: number, pad: Padding, bias: Tensor | undefined, tile?: GemmTile): Tensor {
  const [, , KH, KW] = w.shape;
  const uniforms = convParams(x.shape, out, KH, KW, stride, pad);
  return run(e, true, x, w, out, uniforms, { ...epilogueDefines(bias, 'none'), REFLECT: false }, bias, tile);
}
