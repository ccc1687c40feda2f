// The web demo (demo/) in headless Chromium: the page API (src/web) on the page's own WebGPU adapter, with
// weights served from the development mirror at /mirror/ by the dev server (vite.config.ts).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, CHROMIUM_ARGS, CHROMIUM_PATH, startBrowserSession } from './helpers/chromium.ts';

let session: BrowserSession | undefined;
let page: Page;

beforeAll(async () => {
  process.env.STYLEGPU_WEIGHTS_MIRROR = resolve(__dirname, '../../shared/mirror');
  mkdirSync(resolve(__dirname, '../out/e2e'), { recursive: true });
  session = await startBrowserSession();
  page = await session.browser.newPage();
  await page.goto(`${session.baseUrl}/demo/?mirror=/mirror/`);
  await page.waitForFunction(() => /^(ready|error)/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
});
afterAll(async () => {
  await session?.close();
});

async function runDemo(setup: () => void): Promise<{ status: string; width: number; height: number; distinctPixels: number }> {
  await page.evaluate(setup);
  await page.$eval('#status', (el) => (el.textContent = 'running'));
  await page.click('#run');
  await page.waitForFunction(() => /^(done|stopped|error|\w+: \d+ ms)/.test(document.getElementById('status')!.textContent!), { timeout: 120_000 });
  return page.evaluate(() => {
    const canvas = document.getElementById('output') as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return { status: document.getElementById('status')!.textContent!, width: canvas.width, height: canvas.height, distinctPixels: colours.size };
  });
}

describe('web demo', () => {
  it('starts on the browser adapter', async () => {
    expect(await page.$eval('#status', (el) => el.textContent)).toBe('ready');
    expect(await page.$eval('#adapter', (el) => el.textContent)).toMatch(/Adapter: .*\[browser\]/);
  });

  it('runs a pretrained network from the mirror and draws the result', async () => {
    const r = await runDemo(() => {
      document.querySelector<HTMLInputElement>('input[name=method][value=fast]')!.checked = true;
      (document.getElementById('network') as HTMLSelectElement).value = 'wave';
      (document.getElementById('size') as HTMLInputElement).value = '32';
    });
    expect(r.status).toMatch(/^wave: \d+ ms$/);
    expect([r.width, r.height]).toEqual([32, 24]); // chelsea 451×300 → 32×21 → 4⌈·/4⌉
    expect(r.distinctPixels).toBeGreaterThan(50);
  });

  it('runs Gatys iterations with the mirror\'s VGG19 layers', async () => {
    const r = await runDemo(() => {
      document.querySelector<HTMLInputElement>('input[name=method][value=gatys]')!.checked = true;
      (document.getElementById('size') as HTMLInputElement).value = '32';
      (document.getElementById('iterations') as HTMLInputElement).value = '4';
    });
    // torch.optim.LBFGS semantics: max_iter 4 (max_eval 5) runs 4 iterations.
    expect(r.status).toMatch(/^done: 4 iterations in [\d.]+ s, loss [\d.e+]+ → [\d.e+]+$/);
    expect([r.width, r.height]).toEqual([32, 21]);
  });

  it('stops Gatys at the stop button, keeping the image reached', async () => {
    await page.evaluate(() => {
      document.querySelector<HTMLInputElement>('input[name=method][value=gatys]')!.checked = true;
      (document.getElementById('size') as HTMLInputElement).value = '32';
      (document.getElementById('iterations') as HTMLInputElement).value = '2000';
    });
    await page.click('#run');
    await page.waitForFunction(() => /^iteration [2-9]/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
    await page.click('#stop');
    await page.waitForFunction(() => /^(stopped|done|error)/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
    const status = await page.$eval('#status', (el) => el.textContent!);
    expect(status).toMatch(/^stopped: \d+ iterations/);
    expect(Number(/^stopped: (\d+)/.exec(status)![1])).toBeLessThan(2000);
    expect(await page.$eval('#output', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([32, 21]);
    expect(await page.$eval('#download', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    await page.screenshot({ path: resolve(__dirname, '../out/e2e/demo.png') });
  });

  it('shows a clear page when the browser has no WebGPU', async () => {
    const bare = await session!.browser.newPage();
    await bare.evaluateOnNewDocument(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    await bare.goto(`${session!.baseUrl}/demo/`);
    await bare.waitForFunction(() => /^(ready|error)/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
    expect(await bare.$eval('body', (b) => b.className)).toContain('nowebgpu');
    expect(await bare.$eval('#nowebgpu', (el) => getComputedStyle(el).display)).toBe('block');
    expect(await bare.$eval('#app', (el) => getComputedStyle(el).display)).toBe('none');
    expect(await bare.$eval('#nowebgpuDetail', (el) => el.textContent)).toMatch(/No WebGPU adapter found/);
    await bare.close();
  });

  it('shows the same page in a Chromium started without --enable-unsafe-webgpu', async () => {
    // Chromium on Linux then has navigator.gpu but gives no adapter.
    const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu') });
    try {
      const bare = await browser.newPage();
      await bare.goto(`${session!.baseUrl}/demo/`);
      await bare.waitForFunction(() => /^(ready|error)/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
      expect(await bare.$eval('body', (b) => b.className)).toContain('nowebgpu');
      expect(await bare.$eval('#nowebgpu', (el) => getComputedStyle(el).display)).toBe('block');
      expect(await bare.$eval('#app', (el) => getComputedStyle(el).display)).toBe('none');
      expect(await bare.$eval('#nowebgpuDetail', (el) => el.textContent)).toMatch(/No WebGPU adapter found.*--enable-unsafe-webgpu/);
      await bare.screenshot({ path: resolve(__dirname, '../out/e2e/demo-no-webgpu.png') });
    } finally {
      await browser.close();
    }
  });
});
