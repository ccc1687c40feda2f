// Kernel benchmark in Node: `npm run bench` (add `-- --quick` for 3 samples per case instead of 5,
// `-- --no-tfjs` to skip tfjs-webgpu, `-- --no-naive` to skip the slow naive references). Prints a table
// and writes bench/results/kernels-node.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { Engine } from '../src/runtime/engine.ts';
import { formatTable } from './harness.ts';
import { type Tfjs, runKernelBenchmarks } from './kernels.ts';

const args = new Set(process.argv.slice(2));
const e = await Engine.create();
let tf: Tfjs | undefined;
if (!args.has('--no-tfjs')) {
  // tfjs-webgpu finds WebGPU through navigator.gpu: give it the same Dawn instance, hence the same adapter.
  (globalThis as { navigator?: unknown }).navigator = { gpu: e.ctx.gpu };
  const core = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  await core.setBackend('webgpu');
  await core.ready();
  tf = core as unknown as Tfjs;
}
const result = await runKernelBenchmarks(e, tf, { quick: args.has('--quick'), naive: !args.has('--no-naive') });
console.log(`\n${result.adapter}, FMA peak ${result.fmaPeakGflops.toFixed(1)} GFLOP/s\n`);
console.log(formatTable(result.rows));
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/kernels-node.json', JSON.stringify({ date: new Date().toISOString(), host: 'node-dawn', ...result }, null, 2));
console.log('\nwrote bench/results/kernels-node.json');
process.exit(0);
