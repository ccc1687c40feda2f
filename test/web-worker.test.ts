// The Worker mode (src/web/worker.ts, workerScript.ts) in headless Chromium: the same jobs in the page and in the
// Worker give the same bytes; progress, frames and aborts cross over; the page API's errors arrive with their
// class and fields; the main thread's timer ticks between the Worker's iterations. The message layer's error
// round trip is also checked here on its own (no browser needed).
import { resolve } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterLimitError, ImageDecodeError, NoWebGpuError, WeightsError } from '../src/web/errors.ts';
import { receiveError, sendError } from '../src/web/workerProtocol.ts';
import { type BrowserSession, startBrowserSession } from './helpers/chromium.ts';

describe('errors across postMessage', () => {
  it('come back as their class with their fields', () => {
    const round = <T extends Error>(e: T): T => receiveError(structuredClone(sendError(e))) as T;
    const limit = round(new AdapterLimitError(4000, 1810, 1 << 30, 2_048_000_000));
    expect(limit).toBeInstanceOf(AdapterLimitError);
    expect([limit.requestedSide, limit.largestSide, limit.limitBytes, limit.neededBytes]).toEqual([4000, 1810, 1 << 30, 2_048_000_000]);
    expect(limit.message).toBe(new AdapterLimitError(4000, 1810, 1 << 30, 2_048_000_000).message);
    const weights = round(new WeightsError('corrupt', 'https://x/model.json', 'shard 2 has 10 bytes, expected 12'));
    expect(weights).toBeInstanceOf(WeightsError);
    expect([weights.reason, weights.location, weights.message]).toEqual(['corrupt', 'https://x/model.json', 'https://x/model.json: shard 2 has 10 bytes, expected 12']);
    expect(round(new NoWebGpuError('no navigator.gpu'))).toBeInstanceOf(NoWebGpuError);
    expect(round(new ImageDecodeError('a.png: broken')).message).toBe('a.png: broken');
    const abort = round(new DOMException('stopped', 'AbortError'));
    expect([abort.name, abort.message, abort instanceof DOMException]).toEqual(['AbortError', 'stopped', true]);
    const other = round(new RangeError('too big'));
    expect([other.name, other.message]).toEqual(['RangeError', 'too big']);
  });
});

let session: BrowserSession | undefined;
let page: Page;
const lines: string[] = [];

describe('StyleGpuWorker in headless Chromium', () => {
  beforeAll(async () => {
    process.env.STYLEGPU_WEIGHTS_MIRROR = resolve(__dirname, '../../shared/mirror');
    session = await startBrowserSession();
    page = await session.browser.newPage();
    page.on('console', (m) => lines.push(m.text()));
    page.on('pageerror', (e) => lines.push(String(e)));
    await page.goto(`${session.baseUrl}/test/worker/index.html`);
    await page.waitForFunction(() => window.__workerGatys !== undefined, { timeout: 60_000 });
  });
  afterAll(async () => {
    await session?.close();
  });

  const jobs = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await page.evaluate(run);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${lines.join('\n')}`);
    }
  };

  let pageNetwork: { fromBlob: number[]; fromImg: number[]; ticksAtLayers: number[] };
  let pageGatys: { image: number[]; iterations: number };

  it('runs a network in the page (the reference for the Worker), yielding to the page between layers', async () => {
    pageNetwork = await jobs(() => window.__pageNetwork!());
    expect(pageNetwork.fromBlob.length).toBe(40 * 28 * 4); // chelsea 451×300 → 40×27 → 4⌈·/4⌉
    expect(new Set(pageNetwork.fromBlob).size).toBeGreaterThan(50);
    // The page's own timer ran between every two layers.
    const ticks = pageNetwork.ticksAtLayers;
    expect(ticks.length).toBeGreaterThan(3);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBeGreaterThan(ticks[i - 1]);
  });

  it('runs a network in a Worker: the page\'s bytes, progress', async () => {
    const r = await jobs(() => window.__workerNetwork!());
    expect(r.adapter).toMatch(/\[browser\]/);
    // Byte for byte what the page computes itself, from a Blob and from an <img> (sent as an ImageBitmap).
    expect(r.fromBlob).toEqual(pageNetwork.fromBlob);
    expect(r.fromImg).toEqual(pageNetwork.fromImg);
    // Progress: layer after layer.
    expect(r.layers.length).toBeGreaterThan(3);
    expect(r.layers).toEqual(r.layers.map((_, i) => i + 1));
  });

  it('stops a network\'s run in the Worker, and its errors arrive typed', async () => {
    const r = await jobs(() => window.__networkFailures!());
    // Aborted from the page after the Worker's first layer: rejects with the page's own reason.
    expect(r.aborted).toMatchObject({ name: 'AbortError', isClass: true, layersBeforeAbort: 1, sameReason: true });
    // Errors thrown in the Worker arrive as the page API's classes, with their fields.
    const { weights, decode, limit } = r.errors;
    expect(weights).toMatchObject({ name: 'WeightsError', isClass: true, fields: { reason: 'not-found' } });
    expect(weights.message).toContain('no-such-model');
    expect(decode).toMatchObject({ name: 'ImageDecodeError', isClass: true });
    expect(limit).toMatchObject({ name: 'AdapterLimitError', isClass: true, fields: { requestedSide: 40_000 } });
    expect(limit.fields!.largestSide as number).toBeGreaterThan(100);
    expect(limit.fields!.largestSide as number).toBeLessThan(40_000);
  });

  it('runs Gatys in the page (the reference for the Worker)', async () => {
    pageGatys = await jobs(() => window.__pageGatys!());
    // torch.optim.LBFGS semantics: max_iter 4 (max_eval 5) runs 4 iterations.
    expect(pageGatys.iterations).toBe(4);
    expect(pageGatys.image.length).toBe(32 * 21 * 4);
  });

  it('runs Gatys in a Worker: the page\'s bytes, iterations and frames, the main thread free, an abort', async () => {
    const r = await jobs(() => window.__workerGatys!());
    expect(r.iterations).toBe(4);
    expect(r.image).toEqual(pageGatys.image);
    // Every iteration reported, a frame every 2 iterations; the canvas shows the result.
    expect(r.iterationsSeen).toEqual([1, 2, 3, 4]);
    expect(r.frames).toBe(2);
    expect(r.canvas).toEqual(r.image);
    // The main thread ran its timer between every two of the Worker's iterations.
    for (let i = 1; i < r.ticksAtIterations.length; i++) expect(r.ticksAtIterations[i]).toBeGreaterThan(r.ticksAtIterations[i - 1]);
    console.log(`longest gap between the main thread's timer ticks during the Worker's Gatys run: ${r.longestTickGapMs.toFixed(0)} ms`);
    // Stopped at the first iteration: the image reached is the result, and it says so.
    expect(r.aborted.aborted).toBe(true);
    expect(r.aborted.iterations).toBeGreaterThanOrEqual(1);
    expect(r.aborted.iterations).toBeLessThan(5);
  });
});
