// stylegpu's benchmark tool: `npm run bench:kernels -- …` (in the repository: the published package ships no bench/).
//
//   npm run bench:kernels -- --case conv2d:cin=64,h=128 [--case …] [--cases FILE.json] [--impl a,b] [--tiles 8x2,16x1]
//       [--profile cpu|gpu] [--budget MS] [--warmup N] [--min-reps N] [--node] [--no-tfjs] [--out PATH]
//   npm run bench:kernels -- --model gatys|fast-style|stylegan [--size 256] [--fusion all,none,convAct,no-normAct] [--iterations 3]
//       [--widths tiny|full] [--noise random|zeros] [--profile cpu|gpu] [--node] [--out PATH]
//   npm run bench:kernels -- --compare A.json B.json
//
// Both measuring modes run in headless Chromium (the tool's page, bench/tool/browser/, from a Vite server on
// localhost) unless --node (Dawn in Node); the same code measures in both hosts (bench/tool/run.ts for cases,
// bench/tool/model.ts for a model), and bench/tool/hosts.ts drives the host. Each writes PATH.json and PATH.html
// (default bench/results/bench-HOST-DATE or model-MODEL-SIZE-HOST-DATE; bench/tool/outputs.ts) and refuses to
// overwrite either, before any work starts.
//
// Cases: op:key=value,… with op conv2d | conv2d-dx (n, cin, cout = cin, h, w = h, k = 3, s = 1, p = (k−1)/2)
// or gram (n, c, h, w = h); a JSON file holds { "cases": [{ "op": "conv2d", "cin": 64, "h": 128 }], "impl"?: […], "tiles"?: "8x2" }.
// Every candidate of the op's planner table that fits runs (each lanes option of the subgroup kernels; the
// blocked kernels with their default tile, or each of --tiles), plus 'auto' (the profile's pick) and
// tfjs-webgpu where it has the op; --impl keeps only the named ones (auto and tfjs-webgpu are names too).
//
// Model: per fusion setting ('all', 'none', a rewrite alone, no-REWRITE) the model's unit of work — Gatys one
// L-BFGS objective evaluation, fast-style one forward pass, stylegan one image (--widths, --noise: its generated
// weights and noise maps) — with dispatches, bytes bound, GPU and wall time, in interleaved rounds after a
// warm-up; progress per round in the log. bench/FUSION.md has the results.
//
// Chromium: the flags are CHROMIUM_FLAGS (bench/tool/hosts.ts). Without a GPU its WebGPU adapter is SwiftShader;
// see bench/FUSION.md ("Chromium on lavapipe") for the flags tried to put it on the system Vulkan driver.
import { readFileSync } from 'node:fs';
import { type ToolCommand, parseToolArgs } from './args.ts';
import { outputPaths, writeOutputs } from './outputs.ts';
import type { PageConfig } from './page.ts';
import { compareRuns, formatComparison, formatResultTable, htmlReport } from './report.ts';
import type { RunResult } from './run.ts';

async function main(cmd: ToolCommand, command: string): Promise<void> {
  if (cmd.mode === 'compare') {
    const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;
    console.log(formatComparison(compareRuns(read(cmd.before), read(cmd.after))));
    return;
  }
  const paths = cmd.mode === 'model' ? outputPaths(cmd.out, `model-${cmd.model}-${cmd.size}-${cmd.host}`) : outputPaths(cmd.out, `bench-${cmd.host}`);
  // Loaded once the arguments and --out have passed: they bring the browser driver, Vite and Dawn.
  const [{ inChromium, inNode }, { modelReportHtml }] = await Promise.all([import('./hosts.ts'), import('./model.ts')]);
  const run = <C extends PageConfig>(config: C) => (cmd.host === 'node' ? inNode(config) : inChromium(config));
  if (cmd.mode === 'model') {
    const { model, size, fusions, iterations, stylegan } = cmd;
    const result = await run({ mode: 'model', work: { model, size, fusions, iterations, stylegan }, profile: cmd.profile });
    console.log(`\n${result.host} — ${result.adapter}; ${result.timestamps}`);
    await writeOutputs(paths, result, command, modelReportHtml(result, command));
    return;
  }
  const result = await run({ mode: 'kernels', cases: cmd.cases, settings: cmd.settings, profile: cmd.profile, tfjs: cmd.tfjs });
  console.log(`\n${result.host} — ${result.adapter}; ${result.timestamps}\n`);
  console.log(formatResultTable(result));
  await writeOutputs(paths, result, command, htmlReport(result, command));
}

const argv = process.argv.slice(2);
let code = 0;
try {
  await main(
    parseToolArgs(argv, (f) => readFileSync(f, 'utf8')),
    `npm run bench:kernels -- ${argv.join(' ')}`,
  );
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  code = 1;
}
process.exit(code);
