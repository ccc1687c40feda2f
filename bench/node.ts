// Kernel benchmark in Node: `npm run bench` (add `-- --quick` for 3 samples per case instead of 5,
// `-- --no-tfjs` to skip tfjs-webgpu, `-- --no-naive` to skip the slow naive references, `-- --no-blocked` to
// skip our general blocked kernels, `-- --no-tiled` to skip the shared-memory tiled ones where 'auto' does not
// pick them (the 'cpu' profile; STYLEGPU_PROFILE=gpu makes them 'auto'), `-- --no-extras` to skip the Gram, matmul and fast-style layer cases,
// `-- --shapes 64x128,512x16` for some VGG conv shapes (C×S), `-- --out DIR` for the JSON's folder). Prints a table and writes kernels-node.json (default folder bench/results/). tfjs-webgpu runs
// on the same Dawn instance, hence the same adapter; its version is printed and stored beside its figures.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/runtime/engine.ts';
import { formatTable } from './harness.ts';
import { ROOT, cpuDescription, tfjsBaseline } from './inputs.ts';
import { type Tfjs, runKernelBenchmarks } from './kernels.ts';
import { tfjsOnDawn } from './tfjs.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, 'no-tfjs': { type: 'boolean' }, 'no-naive': { type: 'boolean' }, 'no-blocked': { type: 'boolean' }, 'no-tiled': { type: 'boolean' }, 'no-extras': { type: 'boolean' }, shapes: { type: 'string' }, out: { type: 'string', default: path.join(ROOT, 'bench/results') } },
});
const shapes = values.shapes?.split(',').map((cs) => {
  const [C, S] = cs.split('x').map(Number);
  if (!(Number.isInteger(C) && Number.isInteger(S) && C > 0 && S > 0)) throw new Error(`--shapes: C×S pairs like 64x128 expected, got ${cs}`);
  return { C, S };
});
const e = await Engine.create();
let tf: Tfjs | undefined;
let baseline: Awaited<ReturnType<typeof tfjsBaseline>> | undefined;
if (!values['no-tfjs']) {
  tf = await tfjsOnDawn(e.ctx.gpu);
  baseline = await tfjsBaseline();
  console.log(`baseline: ${baseline.line}, on the same adapter`);
}
const result = await runKernelBenchmarks(e, tf, { quick: values.quick, naive: !values['no-naive'], blocked: !values['no-blocked'], tiled: !values['no-tiled'], extras: !values['no-extras'], shapes });
console.log(`\n${result.adapter}, FMA peak ${result.fmaPeakGflops.toFixed(1)} GFLOP/s; host CPU ${cpuDescription()}`);
if (baseline) console.log(baseline.line);
console.log(`\n${formatTable(result.rows)}`);
await mkdir(values.out!, { recursive: true });
const file = path.join(values.out!, 'kernels-node.json');
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), host: 'node-dawn', cpu: cpuDescription(), baseline: baseline ? { name: baseline.name, versions: baseline.versions } : { skipped: '--no-tfjs' }, ...result }, null, 2));
console.log(`\nwrote ${file}`);
process.exit(0);
