// `stylegpu stylegan` on the tiny test checkpoint (test/fixtures/stylegan/, made by
// test/golden/make_stylegan_golden.py): a seed grid, a style-mixing matrix, latents and noise from .npy files
// against the PyTorch golden, and usage errors (exit 2) that name the option.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import type { RgbaImage } from '../src/image/io.ts';
import { StyledGenerator, toImage } from '../src/models/styleGan.ts';
import { latentsForSeeds, meanStyleLatents, noiseForSeed, splitNoise } from '../src/models/styleGanControls.ts';
import { readImageFile } from '../src/node/files.ts';
import { useEngine } from './helpers/gpu.ts';

const fixture = (name: string) => new URL(`./fixtures/stylegan/${name}`, import.meta.url).pathname;
const MODEL = fixture('tiny.model');
const S = 32;
const engine = useEngine();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stylegpu-stylegan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true });
});

/** The cell at (row, col) of a grid of S-pixel images with 2-pixel padding. */
function cell(grid: RgbaImage, row: number, col: number): Uint8Array {
  const out = new Uint8Array(4 * S * S);
  const [x0, y0] = [2 + col * (S + 2), 2 + row * (S + 2)];
  for (let y = 0; y < S; y++) out.set(grid.data.subarray(4 * ((y0 + y) * grid.width + x0), 4 * ((y0 + y) * grid.width + x0 + S)), 4 * y * S);
  return out;
}
const maxByteDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

async function run(...args: string[]): Promise<number> {
  return main(['stylegan', '--checkpoint', MODEL, ...args]);
}

describe('stylegpu stylegan', () => {
  it('writes a seed grid whose cells are the library images of those seeds', async () => {
    const out = path.join(dir, 'grid.png');
    expect(await run('--size', `${S}`, '--seeds', '1,2,3', '--output', out)).toBe(0);
    const grid = await readImageFile(out);
    expect([grid.width, grid.height]).toEqual([3 * (S + 2) + 2, S + 2 + 2]);
    const g = await StyledGenerator.load(engine(), MODEL);
    for (const [i, seed] of [1, 2, 3].entries()) {
      const [want] = await g.images({ size: S, latents: latentsForSeeds([seed], g.codeDim), noise: splitNoise([noiseForSeed(seed, S)], S) });
      expect(maxByteDiff(cell(grid, 0, i), want.data)).toBe(0);
    }
    g.release();
  });

  it('writes a style-mixing matrix: sources on top, destinations down the side, mixes in between', async () => {
    const out = path.join(dir, 'mix.png');
    expect(await run('--size', `${S}`, '--seeds', '1,2', '--mix-seeds', '3,4,5', '--mix-range', 'coarse', '--truncation', '0.7', '--mean-samples', '256', '--output', out)).toBe(0);
    const grid = await readImageFile(out);
    expect([grid.width, grid.height]).toEqual([4 * (S + 2) + 2, 3 * (S + 2) + 2]);
    expect(cell(grid, 0, 0).filter((v, i) => i % 4 !== 3 && v !== 0)).toHaveLength(0); // the blank corner
    const g = await StyledGenerator.load(engine(), MODEL);
    const truncation = { psi: 0.7, meanStyle: await g.meanStyle(meanStyleLatents(256, g.codeDim)) };
    const image = async (seed: number, mixSeed?: number) =>
      (
        await g.images({
          size: S,
          latents: latentsForSeeds([seed], g.codeDim),
          mix: mixSeed === undefined ? undefined : { latents: latentsForSeeds([mixSeed], g.codeDim), range: [0, 1] },
          truncation,
          noise: splitNoise([noiseForSeed(seed, S)], S),
        })
      )[0].data;
    expect(maxByteDiff(cell(grid, 0, 2), await image(4))).toBe(0);
    expect(maxByteDiff(cell(grid, 2, 0), await image(2))).toBe(0);
    const mixed = cell(grid, 2, 3);
    expect(maxByteDiff(mixed, await image(2, 5))).toBe(0);
    expect(maxByteDiff(mixed, cell(grid, 2, 0))).toBeGreaterThan(10);
    expect(maxByteDiff(mixed, cell(grid, 0, 3))).toBeGreaterThan(10);
    g.release();
  });

  it('takes a crossover range A-: block A to the last', async () => {
    const out = path.join(dir, 'crossover.png');
    expect(await run('--size', `${S}`, '--seeds', '1', '--mix-seeds', '2', '--mix-range', '2-', '--noise', 'none', '--output', out)).toBe(0);
    const g = await StyledGenerator.load(engine(), MODEL);
    const [want] = await g.images({ size: S, latents: latentsForSeeds([1], g.codeDim), mix: { latents: latentsForSeeds([2], g.codeDim), range: [2, 5] }, noise: 'zeros' });
    expect(maxByteDiff(cell(await readImageFile(out), 1, 1), want.data)).toBe(0);
    g.release();
  });

  it('takes latents and noise from .npy files and reproduces the PyTorch golden', async () => {
    const out = path.join(dir, 'z.png');
    expect(await run('--size', `${S}`, '--z', fixture('z.npy'), '--noise', fixture('noise32.npy'), '--output', out)).toBe(0);
    const grid = await readImageFile(out);
    const golden = JSON.parse(readFileSync(new URL('./golden/stylegan.json', import.meta.url), 'utf8'));
    const c = golden.cases.find((k: { name: string }) => k.name === 'noise-file');
    const b = Buffer.from(c.output.f32, 'base64');
    const want = toImage(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)), S);
    expect(maxByteDiff(cell(grid, 0, 0), want.data)).toBeLessThanOrEqual(1);
  });

  it('refuses bad options with exit 2 and a message naming the option, and never overwrites a file', async () => {
    const existing = path.join(dir, 'existing.png');
    await writeFile(existing, 'keep me');
    const errors: string[] = [];
    const original = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      const out = path.join(dir, 'never.png');
      const cases: [string[], RegExp][] = [
        [['--output', existing], /--output: .*existing\.png exists; pass --overwrite/],
        [['--size', '48', '--output', out], /--size: must be a power of two/],
        [['--size', '256', '--output', out], /--size: 256 px is not one this checkpoint can produce \(4, 8, 16, 32, 64, 128\)/],
        [['--noise', 'loud', '--output', out], /--noise: expected const, random, none or a \.npy file/],
        [['--seeds', '1', '--mix-seeds', '2', '--mix-range', '3-1', '--output', out], /--mix-range: expected A-B with A ≤ B/],
        [['--seeds', '1', '--mix-seeds', '2', '--mix-range', '0-9', '--output', out], /--mix-range: 0-9 names blocks this checkpoint lacks; it has blocks 0-5/],
        [['--seeds', '1', '--mix-seeds', '2', '--mix-range', '7-', '--output', out], /--mix-range: 7- names blocks this checkpoint lacks; it has blocks 0-5/],
        [['--z', fixture('z.npy'), '--seeds', '1', '--output', out], /--z: give latents either from a file or from --seeds/],
        [['--seeds', '1,x', '--output', out], /--seeds: expected a decimal number, got 'x'/],
        [['--size', `${S}`, '--noise', fixture('noise32.npy'), '--seeds', '1', '--output', path.join(dir, 'n.png'), '--size', '64'], /--noise: .* a 64 px image needs 5456/],
      ];
      for (const [args, message] of cases) {
        errors.length = 0;
        expect(await run(...args), args.join(' ')).toBe(2);
        expect(errors.join('\n')).toMatch(message);
      }
      expect(await main(['stylegan', '--output', out])).toBe(2);
      expect(errors.join('\n')).toMatch(/--checkpoint is required/);
    } finally {
      console.error = original;
    }
    expect(await readFile(existing, 'utf8')).toBe('keep me');
  });
});
