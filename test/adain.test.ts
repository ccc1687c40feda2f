// AdaIN style transfer against PyTorch (test/golden/adain.json and test/fixtures/adain/, written by
// test/golden/make_adain_golden.py: pytorch-AdaIN's net.vgg / net.decoder layouts with small random weights, test.py's
// style_transfer and coral, and test.lua's mask, in float64), the option algebra, and the loaders' errors.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import type { RgbaImage } from '../src/image/io.ts';
import { coral } from '../src/image/coral.ts';
import { maskAtFeatures } from '../src/image/mask.ts';
import { AdaIN, type AdainOptions } from '../src/models/adain.ts';
import { readImageFile, writePngFile } from '../src/node/files.ts';
import type { Tensor } from '../src/runtime/tensor.ts';
import { type WeightSet, loadWeights } from '../src/weights/index.ts';
import { torchWeights } from '../src/weights/pytorch.ts';
import { type TensorEntry, weightSet } from '../src/weights/tensors.ts';
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';

interface GoldenImage {
  height: number;
  width: number;
  rgb: string;
}
interface GoldenTensor {
  shape: number[];
  f32: string;
}
interface GoldenCase {
  name: string;
  content: string;
  styles: string[];
  alpha: number;
  weights?: number[];
  preserveColor?: boolean;
  coral?: GoldenTensor;
  output: GoldenTensor;
}
const golden: { images: Record<string, GoldenImage>; mask: { height: number; width: number; values: string }; cases: GoldenCase[] } = JSON.parse(
  readFileSync(new URL('./golden/adain.json', import.meta.url), 'utf8'),
);
const VGG = new URL('./fixtures/adain/vgg_normalised.pth', import.meta.url).pathname;
const DECODER = new URL('./fixtures/adain/decoder.pth', import.meta.url).pathname;
const engine = useEngine();

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const floats = (t: GoldenTensor) => {
  const b = bytes(t.f32);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};
const mask = { width: golden.mask.width, height: golden.mask.height, data: Float32Array.from(bytes(golden.mask.values), (v) => v / 255) };
/** A golden image as a [1, 3, H, W] tensor of RGB = byte/255. */
function upload(name: string): Tensor {
  const img = golden.images[name];
  return engine().tensor([1, 3, img.height, img.width], Float32Array.from(bytes(img.rgb), (v) => v / 255));
}
function optionsOf(c: GoldenCase): AdainOptions {
  return { alpha: c.alpha, weights: c.weights, preserveColor: c.preserveColor, mask: c.name === 'mask' ? mask : undefined };
}

// After 19 f32 convolutions, three max pools and AdaIN (whose division by the std of 16 feature positions amplifies
// the encoder's rounding) the errors against the float64 reference scale with the output: measured ≤ 9e-6 of
// max |y| on lavapipe (max |y| ≈ 1, and 21 for the preserve-colour case, whose coral'd style leaves 0…1). The bound,
// 1e-4 · max |y| absolute, leaves room for other adapters' summation orders.
const REL_TO_RANGE = 1e-4;
const expectOutput = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) =>
  expectClose(got, want, REL_TO_RANGE * Math.max(...Array.from(want, Math.abs)), 0, what);

const load = () => AdaIN.load(engine(), VGG, DECODER);

function rgbaOf(name: string): RgbaImage {
  const img = golden.images[name];
  const planes = bytes(img.rgb);
  const n = img.height * img.width;
  const data = new Uint8ClampedArray(4 * n).fill(255);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[4 * i + c] = planes[c * n + i];
  return { width: img.width, height: img.height, data };
}

/** An 8-bit image against a float output: clipped to 0…1, times 255, rounded, so at most 0.5 apart (plus the
 *  output's own error, ≤ 1e-4 · 255 here). */
function expectBytesOf(img: RgbaImage, output: GoldenTensor): void {
  const [, , H, W] = output.shape;
  expect([img.height, img.width]).toEqual([H, W]);
  const want = floats(output);
  let worst = 0;
  for (let i = 0; i < H * W; i++) {
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(img.data[4 * i + c] - 255 * Math.min(1, Math.max(0, want[c * H * W + i]))));
  }
  expect(worst).toBeLessThanOrEqual(0.5 + 0.03);
}

describe('against PyTorch', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const model = await load();
    const content = upload(c.content);
    const styles = c.styles.map(upload);
    const y = await model.transfer(content, styles, optionsOf(c));
    expect(y.shape).toEqual(c.output.shape);
    expectOutput(await y.read(), floats(c.output), c.name);
    model.release();
  });

  it("coral matches function.py's coral (float64 both sides)", async () => {
    const c = golden.cases.find((k) => k.name === 'preserveColor')!;
    const [source, target] = [c.styles[0], c.content].map((n) => Float32Array.from(bytes(golden.images[n].rgb), (v) => v / 255));
    expectClose(coral(source, target), floats(c.coral!), 1e-6, 1e-6, 'coral');
  });

  it('stylize: bytes in, bytes out (clipped and rounded), the odd size coming out 8⌈·/8⌉', async () => {
    const model = await load();
    const c = golden.cases.find((k) => k.name === 'odd')!;
    expectBytesOf(await model.stylize(rgbaOf(c.content), c.styles.map(rgbaOf), optionsOf(c)), c.output);
    model.release();
  });

  it('stylegpu adain: the mask case through the CLI; bad option combinations are usage errors', async () => {
    const c = golden.cases.find((k) => k.name === 'mask')!;
    const dir = await mkdtemp(path.join(tmpdir(), 'stylegpu-adain-'));
    const file = (name: string) => path.join(dir, `${name}.png`);
    try {
      for (const name of [c.content, ...c.styles]) await writePngFile(file(name), rgbaOf(name));
      const m = bytes(golden.mask.values);
      await writePngFile(file('mask'), { width: mask.width, height: mask.height, data: Uint8ClampedArray.from({ length: 4 * m.length }, (_, i) => (i % 4 === 3 ? 255 : m[i >> 2])) });
      const args = ['adain', '--vgg', VGG, '--decoder', DECODER, '--content', file(c.content), '--style', c.styles.map(file).join(','), '--output', file('out')];
      expect(await main([...args, '--mask', file('mask'), '--alpha', String(c.alpha)])).toBe(0);
      expectBytesOf(await readImageFile(file('out')), c.output);
      expect(await main([...args, '--mask', file('mask'), '--style-interpolation-weights', '1,1'])).toBe(2);
      expect(await main([...args, '--alpha', '2'])).toBe(2);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('options', () => {
  it('alpha = 0 decodes the content features themselves; weights pick and normalise styles exactly', async () => {
    const model = await load();
    const [content, starry, brick] = ['content', 'starry', 'brick'].map(upload);
    const features = model.encode(content);
    const plain = await model.decode(features).read();
    expect(await (await model.transfer(content, [starry], { alpha: 0 })).read()).toEqual(plain);
    const single = await (await model.transfer(content, [starry])).read();
    expect(await (await model.transfer(content, [starry, brick], { weights: [1, 0] })).read()).toEqual(single);
    const quarter = await (await model.transfer(content, [starry, brick], { weights: [1, 3] })).read();
    expect(await (await model.transfer(content, [starry, brick], { weights: [0.5, 1.5] })).read()).toEqual(quarter);
    model.release();
  });

  it('the mask is resized as image.scale(…, "simple"); an all-foreground mask is plain AdaIN by the first style', async () => {
    expect(maskAtFeatures(mask, 4, 4).map(Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0]);
    // 3 → 7 samples rows 0, 0, 0, 1, 1, 2, 2 (⌊i·3/7⌋), as Torch's float arithmetic does.
    const column = { width: 1, height: 3, data: [1, 0, 1] };
    expect(maskAtFeatures(column, 7, 1).map(Number)).toEqual([1, 1, 1, 0, 0, 1, 1]);
    const model = await load();
    const [content, starry, brick] = ['content', 'starry', 'brick'].map(upload);
    const all = { width: 2, height: 2, data: [1, 1, 1, 1] };
    const masked = await (await model.transfer(content, [starry, brick], { mask: all })).read();
    expectOutput(masked, await (await model.transfer(content, [starry])).read(), 'all foreground');
    const lone = { width: 4, height: 4, data: [1, ...Array(15).fill(0)] };
    await expect(model.transfer(content, [starry, brick], { mask: lone })).rejects.toThrow(/foreground covers 1 of the 4×4 feature positions/);
    model.release();
  });

  it('rejects bad options and images too small for the encoder', async () => {
    const model = await load();
    const [content, starry, brick] = ['content', 'starry', 'brick'].map(upload);
    const fails = (styles: Tensor[], opts: AdainOptions, message: RegExp) => expect(model.transfer(content, styles, opts)).rejects.toThrow(message);
    await fails([starry], { alpha: 1.5 }, /alpha must be in \[0, 1\], got 1\.5/);
    await fails([starry], { mask }, /a mask needs exactly two styles \(foreground, background\), got 1/);
    await fails([starry, brick], { mask, weights: [1, 1] }, /a mask and style interpolation weights cannot be combined/);
    await fails([starry, brick], { weights: [1] }, /expected 2 finite style weights with a positive sum, got \[1\]/);
    await fails([starry, brick], { weights: [1, -1] }, /positive sum/);
    await fails([], {}, /at least one style/);
    expect(() => model.encode(engine().tensor([1, 3, 8, 20], new Float32Array(480)))).toThrow(/H, W ≥ 9, got \[1, 3, 8, 20\]/);
    model.release();
  });
});

/** `set` with its tensor table edited (names and shapes; data as in the file). */
function edited(set: WeightSet, edit: (entries: Map<string, TensorEntry>) => void): WeightSet {
  const entries = new Map(set.names().map((n) => [n, { shape: set.shape(n), load: async () => (await set.get(n)).data }]));
  edit(entries);
  return weightSet(set.description, entries);
}

describe('loading', () => {
  it('reads only the 1×1 conv and conv1_1 … conv4_1 of vgg_normalised.pth (legacy torch.save format, as upstream)', async () => {
    const vgg = await loadWeights(VGG);
    const read: string[] = [];
    const spy: WeightSet = { ...vgg, get: (name, shape) => (read.push(name), vgg.get(name, shape)) };
    const model = await AdaIN.load(engine(), spy, DECODER);
    expect(new Set(read.map((n) => Number(n.split('.')[0])))).toEqual(new Set([0, 2, 5, 9, 12, 16, 19, 22, 25, 29]));
    model.release();
  });

  it('names a missing tensor, a tensor of the wrong shape, and one cut off by truncation', async () => {
    const e = engine();
    const [vgg, decoder] = await Promise.all([loadWeights(VGG), loadWeights(DECODER)]);
    const noConv41 = edited(vgg, (m) => m.delete('29.weight'));
    await expect(AdaIN.load(e, noConv41, decoder)).rejects.toThrow(/^29\.weight: no such tensor in .*vgg_normalised\.pth/);
    const noBias = edited(vgg, (m) => m.delete('16.bias'));
    await expect(AdaIN.load(e, noBias, decoder)).rejects.toThrow(/vgg_normalised\.pth does not match the expected weights:\n {2}16\.bias: missing$/);
    const wide = edited(decoder, (m) => (m.get('1.weight')!.shape = [8, 12, 3, 3]));
    await expect(AdaIN.load(e, vgg, wide)).rejects.toThrow(/1\.weight: shape \[8, 12, 3, 3\], expected \[8, 10, 3, 3\]/);
    const fourOut = edited(decoder, (m) => (m.get('28.weight')!.shape = [4, 4, 3, 3]));
    await expect(AdaIN.load(e, vgg, fourOut)).rejects.toThrow(/28\.weight: shape \[4, 4, 3, 3\], expected \[3, 4, 3, 3\]/);
    const file = await readFile(DECODER);
    // Legacy files order storages by an id-based key, so which tensor loses its data varies; it is named.
    const cut = await torchWeights(new Uint8Array(file.subarray(0, file.length - 4)), 'cut decoder.pth');
    await expect(AdaIN.load(e, vgg, cut)).rejects.toThrow(/^\d+\.(weight|bias): storage \S+ holds \d+ bytes, expected \d+ \(truncated\) \(cut decoder\.pth\)$/);
  });
});
