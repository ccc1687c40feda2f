// The first check of a device run (bench/device/run.sh): which adapter Dawn gives stylegpu, printed and written
// as JSON, failing fast unless it is a real GPU of the expected vendor — so a run never spends its minutes
// timing a software fallback by mistake.
//   node adapter.js OUTFILE [--vendor nvidia] [--any-adapter]
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Engine } from '../../src/runtime/engine.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { vendor: { type: 'string', default: 'nvidia' }, 'any-adapter': { type: 'boolean' } } });
const e = await Engine.create();
const info = e.adapter;
const limits = e.ctx.limits;
const summary = {
  describe: e.describe(),
  ...info,
  profile: e.ctx.profile,
  features: [...e.ctx.features].sort(),
  subgroupSize: e.ctx.subgroupSize,
  limits: { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize, maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup },
};
console.log(`adapter: ${summary.describe}; kernel profile: ${summary.profile}; features: ${summary.features.join(', ')}`);
if (positionals[0]) await writeFile(positionals[0], JSON.stringify(summary, null, 2));
const wanted = values.vendor!.toLowerCase();
const matches = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase().includes(wanted);
if (!matches && !values['any-adapter']) {
  console.error(`adapter check failed: wanted a ${wanted} adapter, Dawn gave "${summary.describe}" (--any-adapter to go on)`);
  process.exit(1);
}
process.exit(0);
