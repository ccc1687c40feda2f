// Kernel benchmark in headless Chromium: `npm run bench:chromium` serves bench/browser/ with Vite on
// localhost, drives the system Chromium with puppeteer-core (test/helpers/chromium.ts), forwards the page's
// log lines, prints the table and writes bench/results/kernels-chromium.json.
//   --quick      3 samples per case instead of 5
//   --full       every case of `npm run bench` (see below)
//   --no-tfjs    skip tfjs-webgpu
// Without a GPU Chromium's adapter is SwiftShader (its FMA probe: ~10 GFLOP/s, lavapipe's here 80–115): the
// cases of `npm run bench` took 12 minutes there even without the naive kernels and with two of the four VGG
// shapes, since the general blocked kernels and the 1×1 matmul take 5–10 s per call. So by default the run
// times our default kernels and tfjs-webgpu on the two VGG shapes at the ends (64→64 @128², 512→512 @16²),
// forward and input gradient, in about 3 minutes; --full runs everything (not timed; the naive kernels alone
// would add well over half an hour).
import { mkdir, writeFile } from 'node:fs/promises';
import { startBrowserSession } from '../test/helpers/chromium.ts';
import { formatTable } from './harness.ts';
import { tfjsBaseline } from './inputs.ts';
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
  for (const skip of ['no-naive', 'no-blocked', 'no-extras']) query.set(skip, '');
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
  const browser = await session.browser.version();
  const baseline = args.has('--no-tfjs') ? undefined : await tfjsBaseline();
  console.log(`${browser}${baseline ? `; ${baseline.line}` : ''}\n`);
  console.log(formatTable(result.rows));
  await mkdir('bench/results', { recursive: true });
  const stored = { date: new Date().toISOString(), host: 'chromium', browser, baseline: baseline ? { name: baseline.name, versions: baseline.versions } : { skipped: '--no-tfjs' }, query: query.toString(), ...result };
  await writeFile('bench/results/kernels-chromium.json', JSON.stringify(stored, null, 2));
  console.log('\nwrote bench/results/kernels-chromium.json');
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  exitCode = 1;
} finally {
  await session.close();
}
process.exit(exitCode);
