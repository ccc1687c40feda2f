// stylegpu's benchmark tool: `npm run bench:kernels -- …` (in the repository: the published package ships no bench/).
//
//   npm run bench:kernels -- --case conv2d:cin=64,h=128 [--case …] [--cases FILE.json] [--impl a,b] [--tiles 8x2,16x1]
//       [--profile cpu|gpu] [--budget MS] [--warmup N] [--min-reps N] [--node] [--no-tfjs] [--out PATH]
//   npm run bench:kernels -- --compare A.json B.json
//   npm run bench:kernels -- --model gatys|fast-style|stylegan [--size 256] [--fusion all,none,convAct,no-normAct] [--iterations 3]
//       [--widths tiny|full] [--noise random|zeros] [--out PATH]   (--widths, --noise: StyleGAN's generated weights, noise maps)
//       (model mode: per fusion setting dispatches, bytes bound, GPU and wall time, in Node on Dawn only for now;
//       bench/FUSION.md has the first results)
//
// Cases: op:key=value,… with op conv2d | conv2d-dx (n, cin, cout = cin, h, w = h, k = 3, s = 1, p = (k−1)/2)
// or gram (n, c, h, w = h); a JSON file holds { "cases": [{ "op": "conv2d", "cin": 64, "h": 128 }], "impl"?: […], "tiles"?: "8x2" }.
// Every candidate of the op's planner table that fits runs (each lanes option of the subgroup kernels; the
// blocked kernels with their default tile, or each of --tiles), plus 'auto' (the profile's pick) and
// tfjs-webgpu where it has the op; --impl keeps only the named ones (auto and tfjs-webgpu are names too).
// Runs in headless Chromium (page from a Vite server on localhost) unless --node (Dawn); the same code
// (bench/tool/run.ts) measures in both. Writes PATH.json and PATH.html (default bench/results/bench-HOST-DATE)
// and refuses to overwrite either.
//
// Chromium: the flags are CHROMIUM_FLAGS below. Without a GPU its WebGPU adapter is SwiftShader; see
// bench/FUSION.md ("Chromium on lavapipe") for the flags tried to put it on the system Vulkan driver.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { createServer } from 'vite';
import { Engine } from '../../src/runtime/engine.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/helpers/chromium.ts';
import { ROOT } from '../inputs.ts';
import type { Tfjs } from '../kernels.ts';
import { type ToolCommand, parseToolArgs } from './args.ts';
import { runModel } from './model.ts';
import { compareRuns, formatComparison, formatResultTable, htmlReport } from './report.ts';
import { tfjsOnDawn } from '../tfjs.ts';
import { type PageConfig, type PageOutcome, type RunResult, runCases } from './run.ts';

/** Chromium's flags for WebGPU here: the test helper's (no sandbox, --enable-unsafe-webgpu, no background
 *  traffic). Extra ones from STYLEGPU_CHROMIUM_FLAGS (space-separated) are appended, for trying backends. */
export const CHROMIUM_FLAGS = [...CHROMIUM_ARGS, ...(process.env.STYLEGPU_CHROMIUM_FLAGS?.split(' ').filter(Boolean) ?? [])];

async function inChromium(config: PageConfig): Promise<RunResult> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run \`bash scripts/setup.sh\` or set STYLEGPU_CHROMIUM`);
  const server = await createServer({ root: ROOT, logLevel: 'error', server: { host: 'localhost', port: 0 } });
  await server.listen();
  const address = server.httpServer!.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(m.text()));
    page.on('pageerror', (err) => console.log(`page error: ${err}`));
    await page.goto(`http://localhost:${port}/bench/tool/browser/index.html?config=${encodeURIComponent(JSON.stringify(config))}`);
    // Poll rather than waitForFunction: one protocol call may not stay open for the whole run.
    let out: PageOutcome | undefined;
    while (!(out = await page.evaluate(() => window.__stylegpuBenchTool))) await new Promise((r) => setTimeout(r, 1000));
    if (out.error !== undefined) throw new Error(`benchmark page failed: ${out.error}`);
    return { ...out.result, host: `chromium ${await browser.version()}` };
  } finally {
    await browser.close();
    await server.close();
  }
}

async function inNode(config: PageConfig): Promise<RunResult> {
  const e = await Engine.create(config.profile ? { profile: config.profile } : {});
  let tf: Tfjs | undefined;
  if (config.tfjs) {
    tf = await tfjsOnDawn(e.ctx.gpu);
  }
  return runCases(e, config.cases, config.settings, 'node-dawn', tf);
}

/** PATH.json and PATH.html, refusing before any work if either exists. */
export function outputPaths(out: string | undefined, host: string): { json: string; html: string } {
  const base = out ?? path.join(ROOT, 'bench/results', `bench-${host}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const stem = base.replace(/\.(json|html)$/, '');
  const paths = { json: `${stem}.json`, html: `${stem}.html` };
  for (const p of Object.values(paths)) if (existsSync(p)) throw new Error(`${p} exists; give another --out (runs never overwrite results)`);
  return paths;
}

async function main(cmd: ToolCommand, command: string): Promise<void> {
  if (cmd.mode === 'compare') {
    const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as RunResult;
    console.log(formatComparison(compareRuns(read(cmd.before), read(cmd.after))));
    return;
  }
  if (cmd.mode === 'model') {
    await runModel(cmd, command);
    return;
  }
  const paths = outputPaths(cmd.out, cmd.host);
  const config: PageConfig = { cases: cmd.cases, settings: cmd.settings, profile: cmd.profile, tfjs: cmd.tfjs };
  const result = cmd.host === 'node' ? await inNode(config) : await inChromium(config);
  console.log(`\n${result.host} — ${result.adapter}; ${result.timestamps}\n`);
  console.log(formatResultTable(result));
  await mkdir(path.dirname(paths.json), { recursive: true });
  await writeFile(paths.json, JSON.stringify({ date: new Date().toISOString(), command, ...result }, null, 2), { flag: 'wx' });
  await writeFile(paths.html, htmlReport(result, command), { flag: 'wx' });
  console.log(`\nwrote ${paths.json} and ${paths.html}`);
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
