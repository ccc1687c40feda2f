// The live preview (src/web/preview.ts) in headless Chromium: a network's output tensor drawn by the preview's
// render pass with nothing read back (Engine.stats.readbackBytes unchanged by the frames), and the frame holding
// the same bytes as the read-back path (planesToImage); Gatys's preview, drawn every iteration, reading nothing
// back and ending on the result's pixels; the page's timers running between iterations.
// The target is a plain texture: here a WebGPU canvas context destroys Chromium's SwiftShader device at its
// first frame — an HTMLCanvasElement's or an OffscreenCanvas's (in the page or a Worker, transferred or not),
// bgra8unorm or rgba8unorm, opaque or premultiplied, also with --enable-unsafe-swiftshader, --use-angle=swiftshader,
// --use-vulkan=swiftshader or --disable-gpu-compositing (Chromium 156, checked 2026-12-06) — so the canvas itself
// cannot be shown.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAFFE_PREPROCESSING, TORCH_PREPROCESSING, deprocess, displayAffine } from '../src/image/preprocess.ts';
import { type BrowserSession, startBrowserSession } from './helpers/chromium.ts';
import { rng } from './helpers/random.ts';

let session: BrowserSession | undefined;

beforeAll(async () => {
  process.env.STYLEGPU_WEIGHTS_MIRROR = resolve(__dirname, '../../shared/mirror');
  session = await startBrowserSession();
});
afterAll(async () => {
  await session?.close();
});

/** Opens a test page and waits for what it leaves in `window[key]`; fails with the page's console on its error. */
async function pageResult<K extends '__preview' | '__gatysPreview'>(path: string, key: K): Promise<NonNullable<Window[K]>> {
  const page = await session!.browser.newPage();
  const lines: string[] = [];
  page.on('console', (m) => lines.push(m.text()));
  page.on('pageerror', (e) => lines.push(String(e)));
  await page.goto(`${session!.baseUrl}${path}`);
  await page.waitForFunction((k) => window[k as K] !== undefined, { timeout: 100_000 }, key);
  const r = (await page.evaluate((k) => window[k as K], key))!;
  expect(r.error, `${r.error}\n${lines.join('\n')}`).toBeUndefined();
  return r;
}

describe('TensorRenderer (the preview\'s pass)', () => {
  it('draws a GPU tensor without reading it back, the bytes planesToImage gives', async () => {
    const r = await pageResult('/test/preview/index.html', '__preview');
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

describe('displayAffine (the preview\'s map to bytes)', () => {
  it('gives deprocess\'s bytes for both preprocessings, with and without original colours', () => {
    const [H, W] = [7, 5];
    const random = rng(3);
    for (const pre of [CAFFE_PREPROCESSING, TORCH_PREPROCESSING]) {
      // Values that land inside 0…255 and some outside it (clipped).
      const values = () => Float32Array.from({ length: 3 * H * W }, () => ((random() * 300 - 20) / 255) * pre.range - (pre.range === 1 ? 0.45 : 115));
      const [x, content] = [values(), values()];
      for (const originalColors of [false, true]) {
        const want = deprocess(x, pre, H, W, originalColors ? content : undefined);
        const a = displayAffine(pre, originalColors);
        expect(!!a.content).toBe(originalColors);
        for (let i = 0; i < H * W; i++) {
          for (let o = 0; o < 3; o++) {
            let v = a.bias[o];
            for (let k = 0; k < 3; k++) v += a.image[o][k] * x[k * H * W + i] + (a.content?.[o][k] ?? 0) * content[k * H * W + i];
            expect(Math.min(255, Math.max(0, Math.round(v))), `${pre.order} originalColors ${originalColors} pixel ${i} channel ${o}`).toBe(want.data[4 * i + o]);
          }
        }
      }
    }
  });
});

describe('Gatys\'s live preview', () => {
  it('draws every iteration from the GPU, reads nothing back for it, and ends on the result\'s pixels', async () => {
    const r = await pageResult('/test/preview/gatys.html', '__gatysPreview');
    const { plain, previewed, originalColors } = r as Required<typeof r>;
    for (const run of [plain, previewed, originalColors]) {
      // torch.optim.LBFGS semantics: max_iter 4 (max_eval 5) runs 4 iterations.
      expect(run.iterations).toBe(4);
      // The page's own timer ran between every two iterations (and before the first).
      expect(run.ticksAtIterations).toHaveLength(4);
      for (let i = 1; i < 4; i++) expect(run.ticksAtIterations[i]).toBeGreaterThan(run.ticksAtIterations[i - 1]);
      console.log(`longest gap between the page's timer ticks during a run: ${run.longestTickGapMs.toFixed(0)} ms`);
    }
    expect(plain.frames).toBe(0);
    for (const run of [previewed, originalColors]) {
      expect(run.frames).toBe(4);
      expect(run.readbacksInFrames).toBe(0);
    }
    // The run reads back what it does without a preview (L-BFGS's scalars and the result), nothing more; with
    // original colours the result also reads the content (one more copy and map).
    expect(plain.readbacks).toBeGreaterThan(0);
    expect(previewed.readbacks).toBe(plain.readbacks);
    expect(originalColors.readbacks).toBe(plain.readbacks + 2);
    // The preview changes nothing in the run.
    expect(previewed.image).toEqual(plain.image);
    // The last frame shows the result: the same affine map in f32 on the GPU as in float64 on the CPU, so a byte
    // may differ by one where a value sits at a rounding boundary.
    for (const run of [previewed, originalColors]) {
      const shown = run.shown!;
      expect(shown).toHaveLength(r.width! * r.height! * 4);
      let maxDiff = 0;
      let differing = 0;
      for (let i = 0; i < shown.length; i++) {
        if (i % 4 === 3) continue;
        const d = Math.abs(shown[i] - run.image[i]);
        maxDiff = Math.max(maxDiff, d);
        if (d) differing++;
      }
      expect(maxDiff).toBeLessThanOrEqual(1);
      expect(differing).toBeLessThan(shown.length / 4 / 100);
    }
    expect(originalColors.image).not.toEqual(previewed.image);
  });
});
