// Kernel benchmark in headless Chromium: `npm run bench:chromium` serves bench/browser/ with Vite on
// localhost, drives the system Chromium with puppeteer-core (test/helpers/chromium.ts), forwards the page's
// log lines, prints the table and writes bench/results/kernels-chromium.json.
//   --quick      3 samples per case instead of 5
//   --full       all four VGG shapes and the naive references (the default on SwiftShader skips them, see below)
//   --no-tfjs    skip tfjs-webgpu
// Without a GPU Chromium's adapter is SwiftShader, where the naive kernels take tens of seconds per call and a
// full run takes far longer than 8 minutes; so by default the run covers the two VGG shapes at the ends
// (64→64 @128², 512→512 @16²) without the naive references. --full runs everything.
import { mkdir, writeFile } from 'node:fs/promises';
import { startBrowserSession } from '../test/helpers/chromium.ts';
import { formatTable } from './harness.ts';
import type { BenchResult } from './kernels.ts';

declare global {
  interface Window {
    __stylegpuBench?: { result?: BenchResult; error?: string };
  }
}

const args = new Set(process.argv.slice(2));
const query = new URLSearchParams();
if (args.has('--quick')) query.set('quick', '');
if (args.has('--no-tfjs')) query.set('no-tfjs', '');
if (!args.has('--full')) {
  query.set('shapes', '64x128,512x16');
  query.set('no-naive', '');
}

const session = await startBrowserSession();
let exitCode = 0;
try {
  const page = await session.browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  page.on('pageerror', (err) => console.log(`page error: ${err}`));
  const started = performance.now();
  await page.goto(`${session.baseUrl}/bench/browser/index.html?${query}`);
  // Poll rather than waitForFunction: one protocol call may not stay open for the whole run.
  let out: Window['__stylegpuBench'];
  while (!(out = await page.evaluate(() => window.__stylegpuBench))) await new Promise((r) => setTimeout(r, 2000));
  if (out.error || !out.result) throw new Error(`benchmark page failed: ${out.error}`);
  const { result } = out;
  console.log(`\n${result.adapter}, FMA peak ${result.fmaPeakGflops.toFixed(1)} GFLOP/s (run took ${((performance.now() - started) / 60000).toFixed(1)} min)\n`);
  console.log(formatTable(result.rows));
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/kernels-chromium.json', JSON.stringify({ date: new Date().toISOString(), host: 'chromium', query: query.toString(), ...result }, null, 2));
  console.log('\nwrote bench/results/kernels-chromium.json');
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  exitCode = 1;
} finally {
  await session.close();
}
process.exit(exitCode);
