// Kernel benchmark in headless Chromium (SwiftShader here): `npm run bench:chromium` (-- --quick, -- --no-tfjs).
// Serves bench/browser/ with Vite on localhost, streams the page's log, prints the table and writes
// bench/results/kernels-chromium.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { startBrowserSession } from '../test/helpers/chromium.ts';
import { formatTable } from './harness.ts';
import type { BenchResult } from './kernels.ts';

const args = new Set(process.argv.slice(2));
const session = await startBrowserSession();
try {
  const page = await session.browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  page.on('pageerror', (e) => console.log(`page error: ${e}`));
  const query = `quick=${args.has('--quick') ? 1 : 0}&tfjs=${args.has('--no-tfjs') ? 0 : 1}`;
  await page.goto(`${session.baseUrl}/bench/browser/index.html?${query}`);
  await page.waitForFunction(() => window.__bench !== undefined, { timeout: 0, polling: 1000 });
  const bench = await page.evaluate(() => window.__bench!);
  if (bench.error) throw new Error(bench.error);
  const result = bench.result as BenchResult;
  console.log(`\n${result.adapter}, FMA peak ${result.fmaPeakGflops.toFixed(1)} GFLOP/s\n`);
  console.log(formatTable(result.rows));
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/kernels-chromium.json', JSON.stringify({ date: new Date().toISOString(), host: 'chromium', ...result }, null, 2));
  console.log('\nwrote bench/results/kernels-chromium.json');
} finally {
  await session.close();
}
process.exit(0);
