// The pretrained fast style networks (src/models/fastStyle.ts) on the mirrored ml5 checkpoints (../shared/mirror,
// read in place): against a float64 PyTorch port (test/golden/make_fast_style_golden.py → fast_style.json), all 9
// styles on a small image, bad checkpoints, progress/abort/memory, and the `transfer` command.
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { decodeImage, imageToPlanes } from '../src/image/io.ts';
import { fitLongestSide } from '../src/image/io.ts';
import { FAST_STYLE_LAYERS, FastStyleNet, fastStyleShapes, loadFastStyle, tfFilterToTorch } from '../src/models/fastStyle.ts';
import { readImageFile } from '../src/node/files.ts';
import { ML5_STYLES } from '../src/weights/index.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const MIRROR = path.resolve(repoRoot, '../shared/mirror');
const GOLDEN = path.join(repoRoot, 'test/golden');
const golden: Record<string, { input: string; shape: number[]; output: number[] }> = JSON.parse(readFileSync(path.join(GOLDEN, 'fast_style.json'), 'utf8'));
const engine = useEngine();
const mirror = { mirror: MIRROR };

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'stylegpu-fast-style-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** PSNR in dB of two images given as floats in pixel units, both clipped to 0…255 first (peak 255). */
function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const clip = (v: number) => Math.min(255, Math.max(0, v));
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (clip(a[i]) - clip(b[i])) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

describe('layout and geometry', () => {
  it('permutes TensorFlow filters [h, w, a, b] to [b, a, h, w]', () => {
    const shape = [2, 3, 4, 5];
    const data = Float32Array.from({ length: 120 }, (_, i) => i);
    const out = tfFilterToTorch(data, shape);
    for (const [y, x, i, o] of [[0, 0, 0, 0], [1, 2, 3, 4], [1, 0, 2, 3], [0, 2, 1, 0]]) {
      expect(out[((o * 4 + i) * 2 + y) * 3 + x]).toBe(data[((y * 3 + x) * 4 + i) * 5 + o]);
    }
  });

  it('lists the 48 variables with the shapes of the mirrored checkpoints', () => {
    const shapes = fastStyleShapes();
    expect(Object.keys(shapes).length).toBe(48);
    expect(FAST_STYLE_LAYERS.length).toBe(16);
    expect(shapes.Variable_39).toEqual([3, 3, 64, 128]);
    expect(shapes.Variable_47).toEqual([3]);
  });

  it('fits the longest side', () => {
    expect(fitLongestSide(300, 451, 96)).toEqual([64, 96]);
    expect(fitLongestSide(10, 1000, 50)).toEqual([1, 50]);
    expect(() => fitLongestSide(10, 10, 0)).toThrow('longest side must be a positive integer, got 0');
  });
});

describe('PyTorch port (float64) on real photos', () => {
  // The engine computes in f32; the port in f64 on the same bytes. Compared before rounding to bytes, on the
  // outputs clipped to 0…255: PSNR ≥ 40 dB as the acceptance bar, and the largest difference ≤ 0.05 (of 255):
  // the golden values are rounded to 0.01 (≤ 0.005) and f32 adds about as much (measured: PSNR ≈ 99 dB, max 0.0051).
  for (const style of ['wave', 'la_muse']) {
    const g = golden[style];
    it(`${style}: ${g.input} → ${g.shape[2]}×${g.shape[1]}`, async () => {
      const e = engine();
      const img = decodeImage(await readFile(path.join(GOLDEN, g.input)), g.input);
      const net = await loadFastStyle(e, style, mirror);
      const x = e.tensor([1, 3, img.height, img.width], imageToPlanes(img, 1));
      const y = await net.forward(x);
      expect(y.shape).toEqual([1, ...g.shape]);
      const got = await y.read();
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(Math.min(255, Math.max(0, got[i])) - Math.min(255, Math.max(0, g.output[i]))));
      expect(psnr(got, g.output)).toBeGreaterThanOrEqual(40);
      expect(maxDiff).toBeLessThanOrEqual(0.05);
      for (const t of [x, y]) t.release();
      net.release();
    });
  }
});

describe('the 9 mirrored styles', () => {
  it('each loads and stylizes a 32×24 image to finite values in the tanh range', async () => {
    const e = engine();
    const x = e.tensor([1, 3, 24, 32], uniform(3 * 24 * 32, 7, 0, 255));
    for (const style of ML5_STYLES) {
      const net = await loadFastStyle(e, `ml5-style-transfer/${style}`, mirror);
      const y = await net.forward(x);
      expect(y.shape, style).toEqual([1, 3, 24, 32]);
      const v = await y.read();
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      expect(v.every((t) => Number.isFinite(t) && t >= -22.5 && t <= 277.5), style).toBe(true);
      expect(v.some((t) => Math.abs(t - mean) > 10), `${style}: output is not flat`).toBe(true);
      y.release();
      net.release();
    }
    x.release();
  });
});

describe('stylize', () => {
  it('resizes, reports progress per layer, frees every intermediate, and stops on abort', async () => {
    const e = engine();
    const empty = e.pool.stats.liveBytes;
    const net = await loadFastStyle(e, 'wave', mirror);
    const img = decodeImage(await readFile(path.join(GOLDEN, golden.wave.input)));
    // A first run packs the frozen conv weights for their kernels (cached on the weights); after it a run
    // leaves nothing behind, and releasing the network frees the packs with the weights.
    await net.stylize(img, { longestSide: 30 });
    const live = e.pool.stats.liveBytes;
    const steps: number[] = [];
    const out = await net.stylize(img, { longestSide: 30, onProgress: (done, total) => steps.push(done / total) });
    expect([out.width, out.height]).toEqual([32, 20]); // 96×64 → 30×20 → 4⌈·/4⌉
    expect(out.data.length).toBe(32 * 20 * 4);
    expect(steps.length).toBe(16);
    expect(steps[15]).toBe(1);
    expect(e.pool.stats.liveBytes).toBe(live);

    const controller = new AbortController();
    const aborted = net.stylize(img, { signal: controller.signal, onProgress: (done) => done === 3 && controller.abort(new Error('stop here')) });
    await expect(aborted).rejects.toThrow('stop here');
    expect(e.pool.stats.liveBytes).toBe(live);
    const bad = e.tensor([1, 4, 8, 8]);
    await expect(net.forward(bad)).rejects.toThrow('FastStyleNet: input must be a non-empty [N, 3, H, W] RGB tensor, got [1, 4, 8, 8]');
    bad.release();
    net.release();
    expect(e.pool.stats.liveBytes).toBe(empty);
  });
});

describe('bad checkpoints name the tensor', () => {
  const source = path.join(MIRROR, 'ml5-style-transfer/wave');
  async function copyCheckpoint(name: string, edit: (manifest: Record<string, { filename: string; shape: number[] }>) => void): Promise<string> {
    const dir = path.join(tmp, name);
    await mkdir(dir, { recursive: true });
    for (const f of await readdir(source)) await copyFile(path.join(source, f), path.join(dir, f));
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    edit(manifest);
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  }

  it('missing variable, wrong shape, truncated file', async () => {
    const e = engine();
    const missing = await copyCheckpoint('missing', (m) => delete m.Variable_45);
    await expect(loadFastStyle(e, missing)).rejects.toThrow(/does not match the expected weights:\n {2}Variable_45: missing/);
    const reshaped = await copyCheckpoint('reshaped', (m) => (m.Variable_3.shape = [3, 3, 64, 32]));
    await expect(loadFastStyle(e, reshaped)).rejects.toThrow('Variable_3: shape [3, 3, 64, 32], expected [3, 3, 32, 64]');
    const truncated = await copyCheckpoint('truncated', () => {});
    await writeFile(path.join(truncated, 'Variable_42'), new Uint8Array(1000));
    await expect(loadFastStyle(e, truncated)).rejects.toThrow(`Variable_42: ${truncated}/Variable_42: size mismatch: expected 73728 bytes, found 1000`);
  });
});

describe('stylegpu transfer', () => {
  it('stylizes a file with a named style, resized, and rejects bad options', async () => {
    const saved = process.env.STYLEGPU_WEIGHTS_MIRROR;
    process.env.STYLEGPU_WEIGHTS_MIRROR = MIRROR;
    try {
      const output = path.join(tmp, 'cli', 'out.png');
      const content = path.join(GOLDEN, golden.la_muse.input);
      expect(await main(['transfer', '--model', 'udnie', '--content', content, '--output', output, '--image-size', '18'])).toBe(0);
      const img = await readImageFile(output);
      expect([img.width, img.height]).toEqual([20, 16]); // 35×26 → 18×13 → 20×16
      expect(await main(['transfer', '--model', 'udnie', '--content', content])).toBe(2);
      expect(await main(['transfer', '--model', 'udnie', '--content', content, '--output', output, '--image-size', '0'])).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.STYLEGPU_WEIGHTS_MIRROR;
      else process.env.STYLEGPU_WEIGHTS_MIRROR = saved;
    }
  });
});
