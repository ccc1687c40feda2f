// All nine pretrained ml5 style networks (mirrored checkpoints, read in place) against the float64 PyTorch port
// on one small photo: test/golden/make_fast_style_golden.py → fast_style_all.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeImage, imageToPlanes } from '../src/image/io.ts';
import { loadFastStyle } from '../src/models/fastStyle.ts';
import { ML5_STYLES } from '../src/weights/index.ts';
import { useEngine } from './helpers/gpu.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const MIRROR = path.resolve(repoRoot, '../shared/mirror');
const GOLDEN = path.join(repoRoot, 'test/golden');
const golden: { input: string; shape: number[]; outputs: Record<string, number[]> } = JSON.parse(readFileSync(path.join(GOLDEN, 'fast_style_all.json'), 'utf8'));
const engine = useEngine();

describe('every mirrored style against the float64 PyTorch port', () => {
  it('the golden file covers the nine styles', () => {
    expect(Object.keys(golden.outputs).sort()).toEqual([...ML5_STYLES]);
    expect(golden.shape).toEqual([3, 20, 24]); // 23×17 → 4⌈·/4⌉
    // The bound below tells the networks apart: any two styles differ by far more than it somewhere.
    for (const a of ML5_STYLES) {
      for (const b of ML5_STYLES.filter((s) => s > a)) {
        const diff = golden.outputs[a].reduce((m, v, i) => Math.max(m, Math.abs(v - golden.outputs[b][i])), 0);
        expect(diff, `${a} vs ${b}`).toBeGreaterThan(10);
      }
    }
  });

  // The engine computes in f32, the port in f64 on the same bytes; compared before clipping. The golden values
  // are rounded to 0.01 (error ≤ 0.005) and f32 adds little (measured: largest difference 0.0051–0.0053 for
  // every style), so 0.02 of 255 fails on any real difference but not on rounding.
  const img = decodeImage(readFileSync(path.join(GOLDEN, golden.input)), golden.input);
  for (const style of ML5_STYLES) {
    it(`${style}: ${golden.input} → 24×20, every output within 0.02 of the port`, async () => {
      const e = engine();
      const net = await loadFastStyle(e, `ml5-style-transfer/${style}`, { mirror: MIRROR });
      const x = e.tensor([1, 3, img.height, img.width], imageToPlanes(img, 1));
      const y = await net.forward(x);
      expect(y.shape).toEqual([1, ...golden.shape]);
      const got = await y.read();
      const want = golden.outputs[style];
      expect(got.length).toBe(want.length);
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
      expect(maxDiff).toBeLessThanOrEqual(0.02);
      for (const t of [x, y]) t.release();
      net.release();
    });
  }
});
