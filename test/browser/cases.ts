// Kernel cases run identically in Node (test/browser.test.ts) and in headless Chromium (index.html), so
// the two WebGPU implementations can be compared on the same inputs.
import { add, axpy, scale } from '../../src/kernels/elementwise.ts';
import { dot, sum } from '../../src/kernels/reduce.ts';
import type { Engine } from '../../src/runtime/engine.ts';
import { uniform } from '../helpers/random.ts';

export const CASE_SIZES = [1, 65, 4099];

export async function runCases(e: Engine): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const n of CASE_SIZES) {
    const a = e.tensor([n], uniform(n, 11 + n));
    const b = e.tensor([n], uniform(n, 12 + n));
    out[`add/${n}`] = Array.from(await add(e, a, b).read());
    out[`scale/${n}`] = Array.from(await scale(e, a, 0.75).read());
    out[`axpy/${n}`] = Array.from(await axpy(e, -1.5, a, b).read());
    out[`sum/${n}`] = Array.from(await sum(e, a).read());
    out[`dot/${n}`] = Array.from(await dot(e, a, b).read());
  }
  return out;
}
