// Kernel cases run identically in Node (test/browser.test.ts) and in headless Chromium (index.html), so
// the two WebGPU implementations can be compared on the same inputs.
import { type Conv2dOptions, conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../../src/kernels/conv2d.ts';
import { add, axpy, scale } from '../../src/kernels/elementwise.ts';
import { gramMatrix, gramMatrixBackward } from '../../src/kernels/gram.ts';
import { dot, sum } from '../../src/kernels/reduce.ts';
import { ADAPTER_PROFILES, type AdapterProfile } from '../../src/runtime/device.ts';
import { Engine } from '../../src/runtime/engine.ts';
import { uniform } from '../helpers/random.ts';

export const CASE_SIZES = [1, 65, 4099];

/** Small convolutions covering every conv kernel: direct 3×3 (stride 1), the subgroup kernels (through
 *  'auto'), blocked and naive, zero and reflect padding, stride 2, and the input and weight gradients of each. */
const CONV_CASES: { name: string; xs: number[]; ws: number[]; opts: Conv2dOptions }[] = [
  { name: '3x3-s1-zeros', xs: [2, 3, 7, 6], ws: [5, 3, 3, 3], opts: { padding: 1, activation: 'relu' } },
  { name: '3x3-s1-reflect', xs: [1, 2, 9, 5], ws: [6, 2, 3, 3], opts: { padding: 1, padMode: 'reflect' } },
  { name: '3x3-s2-zeros', xs: [1, 3, 8, 7], ws: [4, 3, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: '5x5-s2-reflect', xs: [1, 2, 9, 8], ws: [3, 2, 5, 5], opts: { stride: 2, padding: 2, padMode: 'reflect' } },
];

/** The kernels (rows of the conv tables) each labelled choice runs for the forward pass, input and weight gradient. */
const CONV_IMPLS = {
  naive: { forward: 'conv2dNaive', input: 'convTranspose2dNaive', weight: 'conv2dBackwardWeight' },
  blocked: { forward: 'conv2dBlocked', input: 'convTranspose2dBlocked', weight: 'auto' },
  direct3x3: { forward: 'conv2d3x3', input: 'conv2d3x3', weight: 'auto' },
  'auto-cpu': { forward: 'auto', input: 'auto', weight: 'auto' },
  'auto-gpu': { forward: 'auto', input: 'auto', weight: 'auto' },
} as const;

/** An engine on e's device whose planners follow `profile`, so 'auto' runs each profile's choices. */
function withProfile(e: Engine, profile: AdapterProfile): Engine {
  return profile === e.ctx.profile ? e : new Engine({ ...e.ctx, profile });
}

export async function runCases(e: Engine): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  const byProfile = Object.fromEntries(ADAPTER_PROFILES.map((p) => [`auto-${p}`, withProfile(e, p)]));
  const engineFor = (label: string) => byProfile[label] ?? e;
  for (const n of CASE_SIZES) {
    const a = e.tensor([n], uniform(n, 11 + n));
    const b = e.tensor([n], uniform(n, 12 + n));
    out[`add/${n}`] = Array.from(await add(e, a, b).read());
    out[`scale/${n}`] = Array.from(await scale(e, a, 0.75).read());
    out[`axpy/${n}`] = Array.from(await axpy(e, -1.5, a, b).read());
    out[`sum/${n}`] = Array.from(await sum(e, a).read());
    out[`dot/${n}`] = Array.from(await dot(e, a, b).read());
  }
  for (const [i, c] of CONV_CASES.entries()) {
    const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
    const x = e.tensor(c.xs, uniform(size(c.xs), 40 + i));
    const w = e.tensor(c.ws, uniform(size(c.ws), 50 + i));
    const bias = e.tensor([c.ws[0]], uniform(c.ws[0], 60 + i));
    const direct = c.ws[2] === 3 && c.ws[3] === 3 && !c.opts.stride;
    // 'auto' under each profile: 'cpu' runs the subgroup kernels on adapters with subgroups (8 lanes on
    // lavapipe, 4 on SwiftShader), so Node and Chromium cross-check both lane counts; 'gpu' the shared-memory
    // tiled kernels (conv2dTiled, convTranspose2dTiled).
    for (const impl of direct ? (['naive', 'blocked', 'direct3x3', 'auto-cpu', 'auto-gpu'] as const) : (['naive', 'blocked', 'auto-cpu', 'auto-gpu'] as const)) {
      const pe = engineFor(impl);
      const y = conv2d(pe, x, w, { ...c.opts, bias, impl: CONV_IMPLS[impl].forward });
      out[`conv2d/${c.name}/${impl}`] = Array.from(await y.read());
      const dx = conv2dBackwardInput(pe, y, w, c.xs, { ...c.opts, impl: CONV_IMPLS[impl].input });
      out[`conv2dBackwardInput/${c.name}/${impl}`] = Array.from(await dx.read());
      if (impl !== 'blocked' && impl !== 'direct3x3') {
        const dw = conv2dBackwardWeight(pe, x, y, c.ws, { ...c.opts, impl: CONV_IMPLS[impl].weight });
        out[`conv2dBackwardWeight/${c.name}/${impl}`] = Array.from(await dw.read());
      }
    }
  }
  // Gram: 'auto' under the 'cpu' profile takes the subgroup kernels (H·W = 48 is a multiple of 4), under 'gpu' the
  // tiled ones (gramTiled, gramBackwardTiled).
  const F = e.tensor([1, 12, 6, 8], uniform(576, 70));
  const dG = e.tensor([1, 12, 12], uniform(144, 71));
  for (const impl of ['blocked', 'auto-cpu', 'auto-gpu'] as const) {
    const blocked = impl === 'blocked';
    out[`gram/${impl}`] = Array.from(await gramMatrix(engineFor(impl), F, 576, { impl: blocked ? 'gram' : 'auto' }).read());
    out[`gramBackward/${impl}`] = Array.from(await gramMatrixBackward(engineFor(impl), F, dG, 576, { impl: blocked ? 'gramBackward' : 'auto' }).read());
  }
  return out;
}
