// The StyleGAN generator against PyTorch (test/golden/stylegan.json and test/fixtures/stylegan/, written by
// test/golden/make_stylegan_golden.py: rosinality's StyledGenerator ported, its checkpoint keys, small random
// weights, outputs in float64), and its loader's errors on bad checkpoints and impossible sizes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StyledGenerator, styleGanShapes, toImage } from '../src/models/styleGan.ts';
import { loadWeights } from '../src/weights/index.ts';
import { safetensorsWeights } from '../src/weights/safetensors.ts';
import type { WeightSet } from '../src/weights/tensors.ts';
import { useEngine } from './helpers/gpu.ts';

interface Floats {
  shape: number[];
  f32: string;
}
interface GoldenCase {
  name: string;
  model: 'g_running' | 'generator';
  rows: number[][];
  step: number;
  size: number;
  noise: string | null;
  alpha: number;
  truncation: number | null;
  mixingRange: [number, number] | null;
  output: Floats;
  meanStyle?: Floats;
}
const golden: {
  codeDim: number;
  channels: number[];
  fusedFrom: number;
  z: Floats;
  meanZ: Floats;
  noise: Record<string, Floats>;
  cases: GoldenCase[];
} = JSON.parse(readFileSync(new URL('./golden/stylegan.json', import.meta.url), 'utf8'));
const fixture = (name: string) => new URL(`./fixtures/stylegan/${name}`, import.meta.url).pathname;
const MODEL = fixture('tiny.model');
const SAFETENSORS = fixture('tiny.safetensors');
const engine = useEngine();

const floats = (f: Floats) => {
  const b = Buffer.from(f.f32, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const D = golden.codeDim;
const Z = floats(golden.z);
const rowsOf = (rows: number[]) => {
  const out = new Float32Array(rows.length * D);
  rows.forEach((r, i) => out.set(Z.subarray(r * D, (r + 1) * D), i * D));
  return out;
};

/** The per-block noise maps [N, s, s] of one image's concatenated maps, repeated over the batch. */
function noiseMaps(flat: Float32Array, step: number, N: number): Float32Array[] {
  const maps: Float32Array[] = [];
  let at = 0;
  for (let i = 0; i <= step; i++) {
    const n = (4 * 2 ** i) ** 2;
    const map = new Float32Array(N * n);
    for (let b = 0; b < N; b++) map.set(flat.subarray(at, at + n), b * n);
    maps.push(map);
    at += n;
  }
  return maps;
}

/** PSNR in dB of images in [−1, 1] after the clamp the saved image applies, on the 0…1 scale. */
function psnr(got: Float32Array, want: Float32Array): number {
  const unit = (v: number) => (Math.min(Math.max(v, -1), 1) + 1) / 2;
  let se = 0;
  for (let i = 0; i < want.length; i++) se += (unit(got[i]) - unit(want[i])) ** 2;
  return 10 * Math.log10(1 / (se / want.length));
}

function maxAbs(got: Float32Array, want: Float32Array): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
}

describe('StyledGenerator against rosinality/style-based-gan-pytorch', () => {
  const loaded = new Map<string, Promise<StyledGenerator>>();
  const generator = (which: 'g_running' | 'generator') => {
    if (!loaded.has(which)) loaded.set(which, StyledGenerator.load(engine(), MODEL, { which }));
    return loaded.get(which)!;
  };

  it('reads the architecture from the checkpoint', async () => {
    const g = await generator('g_running');
    expect(g.architecture.codeDim).toBe(golden.codeDim);
    expect(g.architecture.mappingLayers).toBe(8);
    expect(g.architecture.channels).toEqual(golden.channels);
    expect(g.architecture.fused).toEqual(golden.channels.map((_, i) => i >= golden.fusedFrom));
    expect(g.sizes).toEqual([4, 8, 16, 32, 64, 128]);
  });

  for (const c of golden.cases) {
    it(`${c.name}: ${c.size} px, ${c.rows[0].length} image(s), ≥ 40 dB PSNR`, async () => {
      const g = await generator(c.model);
      const N = c.rows[0].length;
      let truncation;
      if (c.truncation !== null) {
        const meanStyle = await g.meanStyle(floats(golden.meanZ));
        expect(maxAbs(meanStyle, floats(c.meanStyle!))).toBeLessThan(1e-4);
        truncation = { psi: c.truncation, meanStyle };
      }
      const out = await g.synthesize({
        size: c.size,
        latents: rowsOf(c.rows[0]),
        mix: c.mixingRange ? { latents: rowsOf(c.rows[1]), range: c.mixingRange } : undefined,
        truncation,
        noise: c.noise ? noiseMaps(floats(golden.noise[c.noise]), c.step, N) : 'zeros',
        alpha: c.alpha >= 0 ? c.alpha : undefined,
      });
      const want = floats(c.output);
      expect(out.length).toBe(want.length);
      const db = psnr(out, want);
      expect(db).toBeGreaterThanOrEqual(40);
      // Far tighter in practice (≈ 130 dB, max error ≈ 1e-5 on lavapipe): float32 against float64 through
      // ≤ 12 convolutions and 8 mapping layers.
      expect(maxAbs(out, want)).toBeLessThan(1e-4);
    });
  }
});
