// Σ wₖ·xₖ over same-size tensors in one pass per LINEAR_SUM_TERMS terms (shaders/linearSum.wgsl).
import type { Engine } from '../runtime/engine.ts';
import { grid1d, kernel, shaderModule } from '../runtime/kernel.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { uniformStruct } from '../runtime/uniforms.ts';
import source from '../../shaders/linearSum.wgsl?raw';
import itemsWgsl from '../../shaders/items.wgsl?raw';

const WG = 256;
/** Terms per dispatch: with `out`, 8 storage bindings, WebGPU's guaranteed maxStorageBuffersPerShaderStage. */
export const LINEAR_SUM_TERMS = 7;
const TERM_NAMES = Array.from({ length: LINEAR_SUM_TERMS }, (_, k) => `x${k}`);
const WEIGHT_FIELDS = Object.fromEntries(TERM_NAMES.map((_, k) => [`w${k}`, 'f32'])) as Record<`w${number}`, 'f32'>;
export const LinearSumParams = uniformStruct('LinearSumParams', { n: 'u32', terms: 'u32', accumulate: 'u32', ...WEIGHT_FIELDS });
const module = shaderModule('linearSum', source, [LinearSumParams], [itemsWgsl]);

export const linearSumKernel = kernel(module, { entryPoint: 'linearSum', bindings: [...TERM_NAMES, 'out'], uniforms: LinearSumParams, constants: { WG } });

/** Σ weights[k]·terms[k], accumulated in f32 in order (w₀·x₀, then one fma per further term), as a new tensor of
 *  terms[0]'s shape. */
export function linearSum(e: Engine, terms: readonly Tensor[], weights: readonly number[]): Tensor {
  if (terms.length === 0 || terms.length !== weights.length) throw new Error(`linearSum: ${terms.length} terms and ${weights.length} weights`);
  terms.forEach((t, k) => {
    if (t.size !== terms[0].size) throw new Error(`linearSum: term ${k} ${shapeString(t.shape)} does not match term 0 ${shapeString(terms[0].shape)}`);
  });
  weights.forEach((w, k) => {
    if (!Number.isFinite(w)) throw new Error(`linearSum: weight ${k} must be finite, got ${w}`);
  });
  const size = terms[0].size;
  const vec4 = size % 4 === 0;
  const n = vec4 ? size / 4 : size;
  const workgroups = grid1d(n, WG, e.ctx.limits.maxComputeWorkgroupsPerDimension);
  const out = e.empty(terms[0].shape);
  for (let first = 0; first < terms.length; first += LINEAR_SUM_TERMS) {
    const chunk = terms.slice(first, first + LINEAR_SUM_TERMS);
    // Slots past the chunk's terms are bound to its first term (read-only aliasing) and never read.
    const bindings = Object.fromEntries(TERM_NAMES.map((name, k) => [name, chunk[k] ?? chunk[0]]));
    const w = Object.fromEntries(TERM_NAMES.map((_, k) => [`w${k}`, weights[first + k] ?? 0])) as Record<`w${number}`, number>;
    e.run(linearSumKernel, { bindings: { ...bindings, out }, uniforms: { n, terms: chunk.length, accumulate: first > 0 ? 1 : 0, ...w }, workgroups, defines: { VEC4: vec4 } });
  }
  return out;
}
