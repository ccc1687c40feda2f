// What the convolution and matrix-product kernels apply to their results before the store (shaders/
// epilogue.wgsl): an optional bias, then an activation. Declared once: the activation type, the defines
// that select it, the slope uniform and the optional bias binding.
import type { Tensor } from '../runtime/tensor.ts';

/** The activation fused after the bias: identity, ReLU or leaky ReLU with its negative slope. */
export type Activation = 'none' | 'relu' | { leakyRelu: number };

/** Defines of a kernel without bias or activation. */
export const NO_EPILOGUE = { BIAS: false, RELU: false, LEAKY_RELU: false } as const;

/** The defines selecting the bias term and `activation` in epilogue.wgsl. */
export function epilogueDefines(bias: Tensor | undefined, activation: Activation = 'none') {
  return { BIAS: !!bias, RELU: activation === 'relu', LEAKY_RELU: typeof activation === 'object' };
}

/** The `slope` uniform: leaky ReLU's negative slope, 0 otherwise. */
export function slopeOf(activation: Activation = 'none'): number {
  return typeof activation === 'object' ? activation.leakyRelu : 0;
}

/** `bindings` plus `bias` where there is one: the bias binding exists only in the BIAS variant. */
export function withBias(bindings: Record<string, Tensor>, bias: Tensor | undefined): Record<string, Tensor> {
  return bias ? { ...bindings, bias } : bindings;
}
