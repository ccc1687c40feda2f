// Graph ops that only the StyleGAN generator uses (src/models/styleGan.ts), each a constructor (shape-checked
// when the graph is built) and its op-table entry (how it runs on our kernels):
//   equalLinear      x·Wᵀ·weightScale + bias·biasScale (EqualLinear: the equalised-lr multiplier applied in the
//                    kernel, so the checkpoint's weight_orig is used as stored)
//   pixelNorm        x / √(mean over channels of x² + 1e-8)
//   noiseInjection   x + weight[c]·noise[n, 0, h, w]
//   blur3x3          depthwise [1,2,1]ᵀ[1,2,1]/16, zero padding 1
//   styleModulatedNorm  instance norm of x [N, C, H, W] scaled by gamma [N, C] and shifted by beta [N, C], per
//                    sample: StyleGAN's AdaIN, whose scale and shift come from each image's style vector (not
//                    from a style image's statistics, as the AdaIN op of style transfer does)
//   upsampleNearest2x, leakyRelu, convTranspose2d: general ops the generator needs and the op table lacks today
//                    (helper "graph-path" is adding general ops; these move there when it provides them)
import { leakyRelu as leakyReluKernel } from '../kernels/activation.ts';
import { convTranspose2d as convTranspose2dKernel, torchConvTranspose2d } from '../kernels/conv2d.ts';
import * as gen from '../kernels/generator.ts';
import { INSTANCE_NORM_MOMENTS, NormParams, instanceNormAffineKernel } from '../kernels/norm.ts';
import { grid1d } from '../runtime/kernel.ts';
import { type Shape, shapeString } from '../runtime/tensor.ts';
import type { Attrs, Node } from './graph.ts';
import { defineOp, opDef } from './registry.ts';

/** A node whose shape comes from its op's shape rule (the rule is the one place the shape is computed). */
function node(op: string, inputs: readonly Node[], attrs: Attrs = {}): Node {
  const shape = opDef(op).shape(
    inputs.map((i) => i.shape),
    attrs,
  );
  return inputs[0].graph.add(op, inputs, attrs, shape);
}

const sameShape = (a: Shape, b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
function expectShape(op: string, what: string, got: Shape, want: readonly number[]): void {
  if (!sameShape(got, want)) throw new Error(`${op}: ${what} must be ${shapeString(want)}, got ${shapeString(got)}`);
}
function image(op: string, s: Shape): [number, number, number, number] {
  if (s.length !== 4) throw new Error(`${op}: input must be [N, C, H, W], got ${shapeString(s)}`);
  return s as unknown as [number, number, number, number];
}

// ---- equalised-lr linear

export interface EqualLinearAttrs extends Attrs {
  weightScale: number;
  biasScale: number;
}
function linearShape([x, w, bias]: readonly Shape[]): Shape {
  if (w.length !== 2 || x.length !== 2 || x[1] !== w[1]) throw new Error(`equalLinear: x ${shapeString(x)} does not fit weight ${shapeString(w)} ([Out, In])`);
  if (bias) expectShape('equalLinear', 'bias', bias, [w[0]]);
  return [x[0], w[0]];
}
/** y = weightScale·x·Wᵀ + biasScale·bias, x [N, In], W [Out, In], bias [Out]. */
export function equalLinear(x: Node, w: Node, bias: Node | undefined, attrs: EqualLinearAttrs): Node {
  return node('equalLinear', bias ? [x, w, bias] : [x, w], attrs);
}
defineOp<EqualLinearAttrs>('equalLinear', {
  shape: linearShape,
  run: (e, [x, w, bias], a) => gen.linear(e, x, w, { bias, weightScale: a.weightScale, biasScale: a.biasScale }),
});

// ---- pixel norm, noise, blur

export function pixelNorm(x: Node): Node {
  return node('pixelNorm', [x]);
}
defineOp('pixelNorm', {
  shape: ([x]) => {
    if (x.length < 2) throw new Error(`pixelNorm: x must be [N, C, …], got ${shapeString(x)}`);
    return x;
  },
  run: (e, [x]) => gen.pixelNorm(e, x, 1e-8),
});

/** x [N, C, H, W] + weight[c]·noise[n, 0, h, w]; weight [C], noise [N, 1, H, W]. */
export function noiseInjection(x: Node, weight: Node, noise: Node): Node {
  return node('noiseInjection', [x, weight, noise]);
}
defineOp('noiseInjection', {
  shape: ([x, w, noise]) => {
    const [N, C, H, W] = image('noiseInjection', x);
    expectShape('noiseInjection', 'weight', w, [C]);
    expectShape('noiseInjection', 'noise', noise, [N, 1, H, W]);
    return x;
  },
  run: (e, [x, w, noise]) => gen.noiseInjection(e, x, w, noise),
});

export function blur3x3(x: Node): Node {
  return node('blur3x3', [x]);
}
defineOp('blur3x3', { shape: ([x]) => (image('blur3x3', x), x), run: (e, [x]) => gen.blur3x3(e, x) });

// ---- AdaIN driven by a style vector

/** gamma[n, c]·(x − μ)/√(σ² + 1e-5) + beta[n, c] per (n, c) of x [N, C, H, W] (biased variance, as
 *  nn.InstanceNorm2d); gamma and beta [N, C]. */
export function styleModulatedNorm(x: Node, gamma: Node, beta: Node): Node {
  return node('styleModulatedNorm', [x, gamma, beta]);
}
defineOp('styleModulatedNorm', {
  shape: ([x, gamma, beta]) => {
    const [N, C] = image('styleModulatedNorm', x);
    expectShape('styleModulatedNorm', 'gamma', gamma, [N, C]);
    expectShape('styleModulatedNorm', 'beta', beta, [N, C]);
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
      uniforms: { channels: C, positions: H * W, groups, batch: N, unbiased: unbiased ? 1 : 0, eps, paramStride: C } satisfies Record<keyof typeof NormParams.fields, number>,
      workgroups: grid1d(groups, 1, e.ctx.limits.maxComputeWorkgroupsPerDimension),
      defines: { AFFINE: true, PARAM_GRADS: false, RELU: false, VEC4: (H * W) % 4 === 0 },
    });
    return y;
  },
});

// ---- general ops the generator needs (see the header)

export function upsampleNearest2x(x: Node): Node {
  return node('upsampleNearest2x', [x]);
}
defineOp('upsampleNearest2x', {
  shape: ([x]) => {
    const [N, C, H, W] = image('upsampleNearest2x', x);
    return [N, C, 2 * H, 2 * W];
  },
  run: (e, [x]) => gen.upsampleNearest2x(e, x),
});

export function leakyRelu(x: Node, slope: number): Node {
  return node('leakyRelu', [x], { slope });
}
defineOp<{ slope: number }>('leakyRelu', { shape: ([x]) => x, run: (e, [x], a) => leakyReluKernel(e, x, a.slope) });

export interface ConvTransposeAttrs extends Attrs {
  stride: number;
  padding: number;
}
function convTransposeShape([x, w, bias]: readonly Shape[], a: ConvTransposeAttrs): Shape {
  const [N, Cin, H, W] = image('convTranspose2d', x);
  if (w.length !== 4 || w[0] !== Cin) throw new Error(`convTranspose2d: input ${shapeString(x)} does not fit weight ${shapeString(w)} ([Cin, Cout, KH, KW])`);
  if (bias) expectShape('convTranspose2d', 'bias', bias, [w[1]]);
  const g = torchConvTranspose2d(H, W, w[2], w[3], a.stride, a.padding);
  return [N, w[1], g.outH, g.outW];
}
/** torch's conv_transpose2d(x, w, bias, stride, padding): w [Cin, Cout, KH, KW]. */
export function convTranspose2d(x: Node, w: Node, bias: Node | undefined, attrs: ConvTransposeAttrs): Node {
  return node('convTranspose2d', bias ? [x, w, bias] : [x, w], attrs);
}
defineOp<ConvTransposeAttrs>('convTranspose2d', {
  shape: convTransposeShape,
  run: (e, [x, w, bias], a) =>
    convTranspose2dKernel(e, x, w, { ...torchConvTranspose2d(x.shape[2], x.shape[3], w.shape[2], w.shape[3], a.stride, a.padding), bias }),
});
