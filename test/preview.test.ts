// The live preview (src/web/preview.ts) in headless Chromium: a network's output tensor drawn by the preview's
// render pass with nothing read back (Engine.stats.readbackBytes unchanged by the frames), and the frame holding
// the same bytes as the read-back path (planesToImage). The target is a plain texture: here a WebGPU canvas
// context destroys Chromium's SwiftShader device at its first frame, so the canvas itself cannot be shown.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, startBrowserSession } from './helpers/chromium.ts';

let session: BrowserSession | undefined;

beforeAll(async () => {
  process.env.STYLEGPU_WEIGHTS_MIRROR = resolve(__dirname, '../../shared/mirror');
  session = await startBrowserSession();
});
afterAll(async () => {
  await session?.close();
});

describe('TensorRenderer (the preview\'s pass)', () => {
  it('draws a GPU tensor without reading it back, the bytes planesToImage gives', async () => {
    const page = await session!.browser.newPage();
    const lines: string[] = [];
    page.on('console', (m) => lines.push(m.text()));
    page.on('pageerror', (e) => lines.push(String(e)));
    await page.goto(`${session!.baseUrl}/test/preview/index.html`);
    await page.waitForFunction(() => window.__preview !== undefined, { timeout: 90_000 });
    const r = await page.evaluate(() => window.__preview!);
    expect(r.error, `${r.error}\n${lines.join('\n')}`).toBeUndefined();
    expect(r.readbackDuringFrame).toBe(0);
    expect([r.width, r.height]).toEqual([48, 32]);
    // The frame's pixels (the canvas texture, copied out by the page after drawing, outside the engine).
    const shot = { data: r.shown! };
    let maxDiff = 0;
    const colours = new Set<number>();
    for (let i = 0; i < shot.data.length; i += 4) {
      for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(shot.data[i + c] - r.want![i + c]));
      colours.add((shot.data[i] << 16) | (shot.data[i + 1] << 8) | shot.data[i + 2]);
    }
    expect(colours.size).toBeGreaterThan(50);
    expect(shot.data.length).toBe(r.want!.length);
    // The byte mapping of planesToImage (round half up, clamp); unorm8 stores k/255 as k.
    expect(maxDiff).toBe(0);
  });
});
