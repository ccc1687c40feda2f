// Graph ops that only the StyleGAN generator uses (src/models/styleGan.ts), each a constructor (shape-checked
// when the graph is built) and its op-table entry (how it runs on our kernels):
//   equalLinear      x·Wᵀ·weightScale + bias·biasScale (EqualLinear; the multipliers are applied in the kernel)
//   pixelNorm        x / √(mean over channels of x² + 1e-8)
//   noiseInjection   x + weight[c]·noise[n, 0, h, w]
//   blur3x3          depthwise [1,2,1]ᵀ[1,2,1]/16, zero padding 1
//   styleModulatedNorm  instance norm of x [N, C, H, W] scaled by gamma [N, C] and shifted by beta [N, C], per
//                    sample: StyleGAN's AdaIN, whose scale and shift come from each image's style vector (not
//                    from a style image's statistics, as the AdaIN op of style transfer does)
// The general ops it also uses (conv2d, convTranspose2d, leakyRelu, upsampleNearest2x, add, scale) are in ops.ts.
import * as gen from '../kernels/stylegan.ts';
import { outputLayoutUniforms } from '../kernels/layout.ts';
import { INSTANCE_NORM_MOMENTS, NormParams, instanceNormAffineKernel } from '../kernels/norm.ts';
import { grid1d } from '../runtime/kernel.ts';
import { type Shape, shapeString } from '../runtime/tensor.ts';
import type { Attrs, Node } from './graph.ts';
import { fuseNoiseAct } from './patterns.ts';
import type { OpDef } from './registry.ts';

const node = <A extends Attrs>(op: OpDef<A>, inputs: readonly Node[], attrs?: A): Node => inputs[0].graph.add(op, inputs, attrs);

const sameShape = (a: Shape, b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
// Shape rules say what does not fit; Graph.add prefixes the op's name and its input shapes.
function expectShape(what: string, got: Shape, want: readonly number[]): void {
  if (!sameShape(got, want)) throw new Error(`${what} must be ${shapeString(want)}, got ${shapeString(got)}`);
}
function image(s: Shape): [number, number, number, number] {
  if (s.length !== 4) throw new Error(`input must be [N, C, H, W], got ${shapeString(s)}`);
  return s as unknown as [number, number, number, number];
}

// ---- equalised-lr linear

export interface EqualLinearAttrs extends Attrs {
  weightScale: number;
  biasScale: number;
}
function linearShape([x, w, bias]: readonly Shape[]): Shape {
  if (w.length !== 2 || x.length !== 2 || x[1] !== w[1]) throw new Error(`x ${shapeString(x)} does not fit weight ${shapeString(w)} ([Out, In])`);
  if (bias) expectShape('bias', bias, [w[0]]);
  return [x[0], w[0]];
}
/** y = weightScale·x·Wᵀ + biasScale·bias, x [N, In], W [Out, In], bias [Out]. The multipliers default to 1 (for a
 *  weight already scaled by its equalised-lr multiplier); lr_mul-style layers pass theirs. */
export function equalLinear(x: Node, w: Node, bias: Node | undefined, attrs: EqualLinearAttrs = { weightScale: 1, biasScale: 1 }): Node {
  return node(equalLinearOp, bias ? [x, w, bias] : [x, w], attrs);
}
const equalLinearOp: OpDef<EqualLinearAttrs> = {
  name: 'equalLinear',
  shape: linearShape,
  run: (e, [x, w, bias], a) => gen.linear(e, x, w, { bias, weightScale: a.weightScale, biasScale: a.biasScale }),
};

// ---- pixel norm, noise, blur

export function pixelNorm(x: Node): Node {
  return node(pixelNormOp, [x]);
}
const pixelNormOp: OpDef = {
  name: 'pixelNorm',
  shape: ([x]) => {
    if (x.length < 2) throw new Error(`x must be [N, C, …], got ${shapeString(x)}`);
    return x;
  },
  run: (e, [x]) => gen.pixelNorm(e, x, 1e-8),
};

/** x [N, C, H, W] + weight[c]·noise[n, 0, h, w]; weight [C], noise [N, 1, H, W]. */
export function noiseInjection(x: Node, weight: Node, noise: Node): Node {
  return node(noiseInjectionOp, [x, weight, noise]);
}
const noiseInjectionOp: OpDef = {
  name: 'noiseInjection',
  shape: ([x, w, noise]) => {
    const [N, C, H, W] = image(x);
    expectShape('weight', w, [C]);
    expectShape('noise', noise, [N, 1, H, W]);
    return x;
  },
  run: (e, [x, w, noise]) => gen.noiseInjection(e, x, w, noise),
  patterns: { noiseAct: fuseNoiseAct },
};

export function blur3x3(x: Node): Node {
  return node(blur3x3Op, [x]);
}
const blur3x3Op: OpDef = { name: 'blur3x3', shape: ([x]) => (image(x), x), run: (e, [x]) => gen.blur3x3(e, x) };

// ---- AdaIN driven by a style vector

/** gamma[n, c]·(x − μ)/√(σ² + 1e-5) + beta[n, c] per (n, c) of x [N, C, H, W] (biased variance, as
 *  nn.InstanceNorm2d); gamma and beta [N, C]. */
export function styleModulatedNorm(x: Node, gamma: Node, beta: Node): Node {
  return node(styleModulatedNormOp, [x, gamma, beta]);
}
const styleModulatedNormOp: OpDef = {
  name: 'styleModulatedNorm',
  shape: ([x, gamma, beta]) => {
    const [N, C] = image(x);
    expectShape('gamma', gamma, [N, C]);
    expectShape('beta', beta, [N, C]);
    return x;
  },
  run: (e, [x, gamma, beta]) => {
    const [N, C, H, W] = x.shape;
    const y = e.empty(x.shape);
    const groups = N * C;
    const { unbiased, eps } = INSTANCE_NORM_MOMENTS;
    // The instance-norm kernel's AFFINE variant reads gamma[n·paramStride + c]: paramStride C is per sample.
    e.run(instanceNormAffineKernel, {
      bindings: { x, gamma, beta, y },
      uniforms: { channels: C, positions: H * W, groups, batch: N, unbiased: unbiased ? 1 : 0, eps, paramStride: C, ...outputLayoutUniforms(y) } satisfies Record<keyof typeof NormParams.fields, number>,
      workgroups: grid1d(groups, 1, e.ctx.limits.maxComputeWorkgroupsPerDimension),
      defines: { AFFINE: true, PARAM_GRADS: false, RELU: false, VEC4: (H * W) % 4 === 0, PADDED_OUT: false },
    });
    return y;
  },
};
