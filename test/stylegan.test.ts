// The StyleGAN generator against PyTorch (test/golden/stylegan.json and test/fixtures/stylegan/, written by
// test/golden/make_stylegan_golden.py: rosinality's StyledGenerator ported, its checkpoint keys, small random
// weights, outputs in float64), and its loader's errors on bad checkpoints and impossible sizes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StyledGenerator, styleGanShapes } from '../src/models/styleGan.ts';
import { loadWeights } from '../src/weights/index.ts';
import { NormalStream, latentsForSeeds, meanStyleLatents, noiseForSeed, noiseLength, splitNoise } from '../src/models/styleGanControls.ts';
import { encodeNpy, parseNpy } from '../src/weights/npy.ts';
import { type TensorEntry, type WeightSet, weightSet } from '../src/weights/tensors.ts';
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

  it('reads the architecture from a checkpoint as train.py saves it', async () => {
    const names = (await loadWeights(MODEL)).names();
    for (const entry of ['generator', 'discriminator', 'g_optimizer', 'd_optimizer', 'g_running']) expect(names.some((n) => n.startsWith(`${entry}.`)), entry).toBe(true);
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
        // In batches of 24, 24 and 16 latents: the same mean.
        expect(maxAbs(await g.meanStyle(floats(golden.meanZ), 24), floats(c.meanStyle!))).toBeLessThan(1e-4);
        truncation = { psi: c.truncation, meanStyle };
      }
      const out = await g.synthesize({
        size: c.size,
        latents: rowsOf(c.rows[0]),
        mix: c.mixingRange ? { latents: rowsOf(c.rows[1]), range: c.mixingRange } : undefined,
        truncation,
        noise: c.noise ? splitNoise(Array(N).fill(floats(golden.noise[c.noise])), c.size) : 'zeros',
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

/** The tiny checkpoint's g_running tensors, with `edit` applied to the table of entries (drop one, change a shape). */
async function editedCheckpoint(edit: (entries: Map<string, TensorEntry>) => void): Promise<WeightSet> {
  const set = await loadWeights(MODEL);
  const entries = new Map<string, TensorEntry>(set.names().map((n) => [n, { shape: set.shape(n), load: async () => (await set.get(n)).data }]));
  edit(entries);
  return weightSet('edited.model', entries);
}

describe('loading', () => {
  it('a safetensors state dict of the same tensors gives the same images as the .model checkpoint', async () => {
    const [a, b] = await Promise.all([StyledGenerator.load(engine(), MODEL), StyledGenerator.load(engine(), SAFETENSORS)]);
    const o = { size: 16, latents: rowsOf([0]), noise: 'zeros' as const };
    expect(await b.synthesize(o)).toEqual(await a.synthesize(o));
    const keys = Object.keys(styleGanShapes(a.architecture));
    expect((await loadWeights(SAFETENSORS)).names().filter((n) => !n.endsWith('.weight_flip') && !/conv1\.[12]\.weight$/.test(n)).sort()).toEqual(keys.sort());
    a.release();
    b.release();
  });

  it('names a missing tensor and a tensor of the wrong shape', async () => {
    const missing = await editedCheckpoint((t) => t.delete('g_running.generator.progression.2.adain2.style.linear.bias'));
    await expect(StyledGenerator.load(engine(), missing)).rejects.toThrow(/edited\.model does not match the expected weights:\n {2}g_running\.generator\.progression\.2\.adain2\.style\.linear\.bias: missing$/);
    const wrong = await editedCheckpoint((t) => (t.get('g_running.generator.to_rgb.3.conv.weight_orig')!.shape = [3, 11, 1, 1]));
    await expect(StyledGenerator.load(engine(), wrong)).rejects.toThrow(/g_running\.generator\.to_rgb\.3\.conv\.weight_orig: shape \[3, 11, 1, 1\], expected \[3, 12, 1, 1\]/);
    const noMapping = await editedCheckpoint((t) => {
      for (const k of [...t.keys()]) if (k.startsWith('g_running.')) t.delete(k);
    });
    await expect(StyledGenerator.load(engine(), noMapping)).rejects.toThrow(/^g_running\.style\.1\.linear\.weight_orig: no such tensor in edited\.model: it holds generator only/);
  });

  it('refuses a size the checkpoint cannot produce, listing those it can', async () => {
    const g = await StyledGenerator.load(engine(), SAFETENSORS);
    for (const size of [256, 48, 2]) {
      await expect(g.synthesize({ size, latents: rowsOf([0]), noise: 'zeros' })).rejects.toThrow(`size ${size}: ${SAFETENSORS} can produce 4, 8, 16, 32, 64, 128 px`);
    }
    g.release();
  });
});

describe('controls', () => {
  it('seeded latents are deterministic standard normals, different per seed and per stream', () => {
    const a = latentsForSeeds([7, 8], 512);
    expect(latentsForSeeds([7], 512)).toEqual(a.subarray(0, 512));
    expect(a.subarray(0, 512)).not.toEqual(a.subarray(512));
    expect(noiseForSeed(7, 8).subarray(0, 16)).not.toEqual(a.subarray(0, 16));
    // Seed 7's first values, recorded when the generator was written: a seed must keep giving the same image.
    expect([...a.subarray(0, 3)].map((v) => v.toFixed(5))).toEqual(['1.23740', '-0.54448', '1.65235']);
    const many = meanStyleLatents(100_000, 1);
    const mean = many.reduce((s, v) => s + v, 0) / many.length;
    const variance = many.reduce((s, v) => s + (v - mean) ** 2, 0) / many.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('xoshiro128** gives the reference sequence; normals are Box–Muller of its uniforms', () => {
    // xoshiro128** from state {1, 2, 3, 4} (Blackman & Vigna's reference code): 11520, 0, 5927040, 70819200.
    const bits = new NormalStream(Uint32Array.from([1, 2, 3, 4]));
    expect([0, 1, 2, 3].map(() => bits.nextUint32())).toEqual([11520, 0, 5927040, 70819200]);
    const normals = new NormalStream(Uint32Array.from([1, 2, 3, 4]));
    const [u1, u2] = [(11520 + 0.5) / 2 ** 32, (0 + 0.5) / 2 ** 32];
    const r = Math.sqrt(-2 * Math.log(u1));
    expect([normals.normal(), normals.normal()]).toEqual([r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2)]);
  });

  it('reads numpy-written .npy files and writes ones it reads back', () => {
    const z = parseNpy(readFileSync(fixture('z.npy')), 'z.npy');
    expect(z.shape).toEqual([4, D]);
    expect(z.data).toEqual(Z);
    const noise = parseNpy(readFileSync(fixture('noise32.npy')), 'noise32.npy');
    expect(noise.shape).toEqual([noiseLength(32)]);
    expect(noise.data).toEqual(floats(golden.noise.noise32));
    const back = parseNpy(encodeNpy([2, 3], [1, 2, 3, 4, 5, 6.5]), 'x.npy');
    expect(back).toEqual({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) });
    expect(() => parseNpy(new Uint8Array(20), 'bad.npy')).toThrow(/bad\.npy: not a \.npy file/);
  });
});
