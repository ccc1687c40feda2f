// The same kernels in headless Chromium (its own WebGPU: SwiftShader on a machine with no GPU) and in Node
// (Dawn on lavapipe), compared value by value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from './helpers/compare.ts';
import { type BrowserSession, startBrowserSession } from './helpers/chromium.ts';
import { useEngine } from './helpers/gpu.ts';
import { runCases } from './browser/cases.ts';

const engine = useEngine();
let session: BrowserSession | undefined;

beforeAll(async () => {
  session = await startBrowserSession();
});
afterAll(async () => {
  await session?.close();
});

describe('headless Chromium', () => {
  it('runs the elementwise, reduction and convolution kernels and matches Node', async () => {
    const page = await session!.browser.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (err) => consoleLines.push(String(err)));
    await page.goto(`${session!.baseUrl}/test/browser/index.html`);
    await page.waitForFunction(() => window.__stylegpu !== undefined, { timeout: 90_000 });
    const page_ = await page.evaluate(() => window.__stylegpu!);
    expect(page_.error, `page failed:\n${page_.error}\n${consoleLines.join('\n')}`).toBeUndefined();
    console.log(`Chromium adapter: ${page_.adapter}, ${page_.subgroups}`);
    console.log(`Node adapter:     ${engine().describe()}`);
    expect(page_.adapter).toMatch(/\[browser\]$/);

    const node = await runCases(engine());
    expect(Object.keys(page_.results!).sort()).toEqual(Object.keys(node).sort());
    for (const [key, want] of Object.entries(node)) {
      // Elementwise results are exact in f32 on both; sums may associate differently across adapters, and a
      // convolution's or Gram matrix's multiply-adds may be fused on one and rounded twice on the other
      // (llvmpipe splits fma).
      const tol = /^(sum|dot|conv|gram)/.test(key) ? 1e-5 : 1e-7;
      expectClose(page_.results![key], want, tol, tol, `Chromium vs Node, ${key}`);
    }
  });
});
