// The Gated GAN generator against PyTorch (test/golden/gatedgan.json and test/fixtures/gatedgan/, written by
// test/golden/make_gatedgan_golden.py: upstream's modules and state-dict keys with small random weights, outputs in
// float64), the style-label algebra of its transformer, and its loader's errors on bad checkpoints.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import type { RgbaImage } from '../src/image/io.ts';
import { GatedGanGenerator, gatedGanShapes } from '../src/models/gatedGan.ts';
import { readImageFile, writePngFile } from '../src/node/files.ts';
import { loadWeights } from '../src/weights/index.ts';
import { safetensorsWeights } from '../src/weights/safetensors.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';

interface GoldenImage {
  height: number;
  width: number;
  rgb: string;
}
const golden: {
  ngf: number;
  styles: number;
  residualBlocks: number;
  images: Record<string, GoldenImage>;
  cases: { name: string; image: string; label: number[]; output: { shape: number[]; f32: string } }[];
} = JSON.parse(readFileSync(new URL('./golden/gatedgan.json', import.meta.url), 'utf8'));
const fixture = (name: string) => new URL(`./fixtures/gatedgan/${name}`, import.meta.url).pathname;
const PTH = fixture('netG.pth');
const SAFETENSORS = fixture('netG.safetensors');
const engine = useEngine();

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const floats = (b64: string) => {
  const b = bytes(b64);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};
/** Upstream's input normalisation, x = 2·byte/255 − 1, as [1, 3, H, W]. */
const inputOf = (img: GoldenImage) => Float32Array.from(bytes(img.rgb), (v) => (v * 2) / 255 - 1);
function rgbaOf(img: GoldenImage) {
  const planes = bytes(img.rgb);
  const n = img.height * img.width;
  const data = new Uint8ClampedArray(4 * n).fill(255);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[4 * i + c] = planes[c * n + i];
  return { width: img.width, height: img.height, data };
}

/** An 8-bit image against a float output in [-1, 1]: 127.5·(y + 1) rounded, so at most 0.5 apart. */
function expectBytesOf(img: RgbaImage, output: { shape: number[]; f32: string }): void {
  const [, , H, W] = output.shape;
  expect([img.height, img.width]).toEqual([H, W]);
  const want = floats(output.f32);
  let worst = 0;
  for (let i = 0; i < H * W; i++) {
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(img.data[4 * i + c] - 127.5 * (want[c * H * W + i] + 1)));
  }
  expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
}

// The output is a tanh in [-1, 1] (std ~0.3) after 12–16 f32 convolutions and as many instance norms; the errors
// measured against the float64 reference on lavapipe are ≤ 2e-6, so 2e-5 absolute leaves room for other summation
// orders.
const ATOL = 2e-5;

async function loadPth() {
  return GatedGanGenerator.load(engine(), PTH);
}

describe('loading', () => {
  it('reads widths, styles and decoder depth from upstream-format state dicts (.pth and safetensors alike)', async () => {
    const e = engine();
    const sets = [await loadWeights(PTH), await loadWeights(SAFETENSORS)];
    const expected = gatedGanShapes(golden.ngf, golden.styles, golden.residualBlocks);
    for (const set of sets) expect(Object.fromEntries(set.names().map((n) => [n, set.shape(n)]))).toEqual(expected);
    const [a, b] = await Promise.all(sets.map((s) => GatedGanGenerator.load(e, s)));
    expect([a.styles, b.styles]).toEqual([golden.styles, golden.styles]);
    const img = golden.images.square;
    const x = e.tensor([1, 3, img.height, img.width], inputOf(img));
    const label = [0.5, 0, 0.25, 0.25];
    expect(await b.forward(x, label).read()).toEqual(await a.forward(x, label).read());
    a.release();
    b.release();
  });
});

describe('against PyTorch', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const e = engine();
    const gen = await loadPth();
    const img = golden.images[c.image];
    const x = e.tensor([1, 3, img.height, img.width], inputOf(img));
    const y = gen.forward(x, c.label);
    expect(y.shape).toEqual(c.output.shape);
    expectClose(await y.read(), floats(c.output.f32), ATOL, 0, `${c.name} [${c.label}]`);
    gen.release();
  });

  it('stylize: bytes in, bytes out (127.5·(y + 1), rounded)', async () => {
    const gen = await loadPth();
    const c = golden.cases.find((k) => k.name === 'odd')!;
    expectBytesOf(await gen.stylize(rgbaOf(golden.images[c.image]), c.label), c.output);
    gen.release();
  });

  it('stylegpu gatedgan: the same through the CLI; a label of the wrong length is a usage error', async () => {
    const c = golden.cases.find((k) => k.name === 'odd')!;
    const dir = await mkdtemp(path.join(tmpdir(), 'stylegpu-gatedgan-'));
    const [content, output] = [path.join(dir, 'in.png'), path.join(dir, 'out.png')];
    try {
      await writePngFile(content, rgbaOf(golden.images[c.image]));
      const args = ['gatedgan', '--checkpoint', SAFETENSORS, '--content', content, '--output', output, '--style-weights'];
      expect(await main([...args, c.label.join(',')])).toBe(0);
      expectBytesOf(await readImageFile(output), c.output);
      expect(await main([...args, '1,0'])).toBe(2);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('style labels', () => {
  it('mix features linearly: a one-hot identity label returns the features, 50/50 the mean of two branches', async () => {
    const e = engine();
    const gen = await loadPth();
    const img = golden.images.square;
    const x = e.tensor([1, 3, img.height, img.width], inputOf(img));
    const f = gen.encode(x);
    const S = gen.styles;
    const onehot = (i: number) => Array.from({ length: S + 1 }, (_, j) => +(i === j));
    expect(await gen.transform(f, onehot(S)).read()).toEqual(await f.read());
    const b0 = await gen.transform(f, onehot(0)).read();
    const b2 = await gen.transform(f, onehot(2)).read();
    const half = await gen.transform(f, [0.5, 0, 0.5, 0]).read();
    expectClose(half, b0.map((v, i) => 0.5 * v + 0.5 * b2[i]), 1e-6, 1e-6, '50/50 of branches 0 and 2');
    // Raw weights, not normalised: 2·identity is twice the features.
    const twice = await gen.transform(f, [0, 0, 0, 2]).read();
    expectClose(twice, (await f.read()).map((v) => 2 * v), 0, 0, '2 · identity');
    expect(await gen.transform(f, [0, 0, 0, 0]).read()).toEqual(new Float32Array(f.size));
    gen.release();
  });

  it('rejects a label of the wrong length or with non-finite weights', async () => {
    const e = engine();
    const gen = await loadPth();
    const x = e.tensor([1, 3, 8, 8], new Float32Array(192));
    expect(() => gen.forward(x, [1, 0, 0])).toThrow(/expected 4 finite style weights \(3 styles, then the identity\), got \[1, 0, 0\]/);
    expect(() => gen.forward(x, [1, 0, 0, NaN])).toThrow(/expected 4 finite style weights/);
    expect(() => gen.forward(e.tensor([1, 3, 4, 8], new Float32Array(96)), [1, 0, 0, 0])).toThrow(/at least 5×5 pixels, got \[1, 3, 4, 8\]/);
    gen.release();
  });
});

/** The safetensors fixture with its JSON header edited (the data block is kept as is). */
async function editedSafetensors(edit: (header: Record<string, { shape: number[] }>) => void) {
  const file = await readFile(SAFETENSORS);
  const n = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + n).toString());
  edit(header);
  let text = JSON.stringify(header);
  text += ' '.repeat(-text.length & 7);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(text.length));
  return new Uint8Array(Buffer.concat([size, Buffer.from(text), file.subarray(8 + n)]));
}

describe('bad checkpoints', () => {
  it('a missing tensor is named', async () => {
    const set = safetensorsWeights(await editedSafetensors((h) => delete h['decoder.model.5.bias']), 'edited.safetensors');
    await expect(GatedGanGenerator.load(engine(), set)).rejects.toThrow(/edited\.safetensors does not match the expected weights:\n {2}decoder\.model\.5\.bias: missing$/);
    const noBranch = safetensorsWeights(await editedSafetensors((h) => delete h['transformer.t.0.conv_block.1.weight']), 'edited.safetensors');
    await expect(GatedGanGenerator.load(engine(), noBranch)).rejects.toThrow(/^transformer\.t\.0\.conv_block\.1\.weight: no such tensor in edited\.safetensors/);
  });

  it('a tensor of the wrong shape is named with both shapes', async () => {
    const set = safetensorsWeights(await editedSafetensors((h) => (h['transformer.t.1.conv_block.5.weight'].shape = [8, 8, 1, 9])), 'edited.safetensors');
    await expect(GatedGanGenerator.load(engine(), set)).rejects.toThrow(/transformer\.t\.1\.conv_block\.5\.weight: shape \[8, 8, 1, 9\], expected \[8, 8, 3, 3\]/);
  });

  it('a truncated file: the tensor whose data is cut off is named (safetensors); a cut zip names the file', async () => {
    const file = await readFile(SAFETENSORS);
    const set = safetensorsWeights(new Uint8Array(file.subarray(0, file.length - 8)), 'cut.safetensors');
    await expect(GatedGanGenerator.load(engine(), set)).rejects.toThrow(/^decoder\.model\.9\.bias: data ends at byte \d+, but cut\.safetensors holds only \d+ bytes of data \(truncated\)/);
    const dir = await mkdtemp(path.join(tmpdir(), 'stylegpu-gatedgan-'));
    const cut = path.join(dir, 'netG.pth');
    const pth = await readFile(PTH);
    await writeFile(cut, pth.subarray(0, pth.length - 4000));
    try {
      await expect(GatedGanGenerator.load(engine(), cut)).rejects.toThrow(cut);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
