// The L-BFGS two-loop fusion (LbfgsOptions.fusion, src/lbfgs/lbfgs.ts) measured alone: one search direction
// d = −H·g with a full history, fused and unfused in interleaved rounds — dispatches, bytes bound and wall time
// (submit to done). The vectors have the size of a Gatys image (3·S·S floats); values are random, the work does
// not depend on them.
//   node --import ./src/node/register.js bench/fusion/lbfgs-direction.ts [--size 256] [--history 100] [--rounds 5] [--out FILE.json]
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LbfgsState } from '../../src/lbfgs/lbfgs.ts';
import { Engine } from '../../src/runtime/engine.ts';
import type { Tensor } from '../../src/runtime/tensor.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '256' }, history: { type: 'string', default: '100' }, rounds: { type: 'string', default: '5' }, out: { type: 'string' } } });
const [size, history, rounds] = [values.size, values.history, values.rounds].map(Number);
for (const [flag, v] of [['--size', size], ['--history', history], ['--rounds', rounds]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: a whole number ≥ 1 expected, got ${v}`);
}
if (values.out && existsSync(values.out)) throw new Error(`${values.out} exists; give another --out (runs never overwrite results)`);

const e = await Engine.create();
const n = 3 * size * size;
let seed = 7;
const random = () => Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5));

/** A state with a full history, built by the optimiser's own updates along steps of unit length, with gradients
 *  g' = r + A·s (r random, A diagonal in [1, 2]): the curvature yᵀs = sᵀA·s + O(noise) stays positive and of one
 *  size, so pairs are kept (a plain random walk shrinks the steps until yᵀs falls under 1e-10 and every pair is
 *  dropped). At most 10 × history steps. */
const curvature = Float32Array.from({ length: n }, (_, i) => 1 + ((i * 2654435761) % 1000) / 1000);
async function filledState(fusion: boolean): Promise<{ state: LbfgsState; grad: Tensor }> {
  const state = new LbfgsState(e, history, fusion);
  let grad = e.tensor([n], random());
  state.keepGrad(grad);
  for (let k = 0; state.length < history; k++) {
    if (k >= 10 * history) throw new Error(`lbfgs-direction: only ${state.length} of ${history} pairs kept after ${k} steps`);
    const d = await state.direction(grad).read();
    const t = 1 / Math.hypot(...d.subarray(0, 4096)) / Math.sqrt(n / Math.min(n, 4096));
    state.tookStep(t);
    const r = random();
    grad = e.tensor([n], r.map((v, i) => v + curvature[i] * t * d[i]));
    await state.update(grad);
    state.keepGrad(grad);
  }
  return { state, grad };
}

const tally = { dispatches: 0, bytes: 0 };
const run = e.run.bind(e);
e.run = (kernel, data) => {
  tally.dispatches++;
  for (const t of Object.values(data.bindings)) tally.bytes += t.sizeBytes;
  run(kernel, data);
};

const settings = [true, false];
const states = await Promise.all(settings.map(filledState));
console.log(`adapter: ${e.describe()}\none L-BFGS direction, history ${history}, vectors of 3·${size}² = ${n} floats; ${rounds} interleaved rounds after a warm-up`);
const rows = settings.map((fusion) => ({ fusion, dispatches: 0, bytesBound: 0, wallMs: [] as number[] }));
for (let r = -1; r < rounds; r++) {
  for (const [k, { state, grad }] of states.entries()) {
    await e.sync();
    const before = { ...tally };
    const t0 = performance.now();
    state.direction(grad);
    await e.sync();
    const ms = performance.now() - t0;
    if (r < 0) continue;
    rows[k].wallMs.push(ms);
    [rows[k].dispatches, rows[k].bytesBound] = [tally.dispatches - before.dispatches, tally.bytes - before.bytes];
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const row of rows) {
  console.log(`  fusion ${row.fusion ? 'on ' : 'off'}: ${row.dispatches} dispatches, ${(row.bytesBound / 2 ** 20).toFixed(1)} MiB bound, wall ${median(row.wallMs).toFixed(1)} ms (${Math.min(...row.wallMs).toFixed(1)}–${Math.max(...row.wallMs).toFixed(1)})`);
}
if (values.out) {
  await writeFile(values.out, JSON.stringify({ date: new Date().toISOString(), adapter: e.describe(), size, history, rounds, rows }, null, 2), { flag: 'wx' });
  console.log(`wrote ${values.out}`);
}
for (const { state } of states) state.release();
process.exit(0);
