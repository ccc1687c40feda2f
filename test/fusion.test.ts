// The fusion rewrites per model: with fusion on, every conv/instance norm followed by its ReLU runs as one
// dispatch, so a run dispatches exactly (unfused − fusable pairs) kernels, and the outputs are bit-identical
// (a ReLU in an epilogue is the same max(·, 0)). The pair counts are computed from each model's architecture.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FusionOptions } from '../src/graph/index.ts';
import type { RgbaImage } from '../src/image/io.ts';
import { AdaIN } from '../src/models/adain.ts';
import { FAST_STYLE_LAYERS, loadFastStyle } from '../src/models/fastStyle.ts';
import { GatedGanGenerator } from '../src/models/gatedGan.ts';
import { GatysProblem, deepestLayer } from '../src/models/gatys.ts';
import { StyledGenerator } from '../src/models/styleGan.ts';
import { latentsForSeeds } from '../src/models/styleGanControls.ts';
import { VGG19_LAYER_NAMES, Vgg19, layerIndex, vggWeights } from '../src/models/vgg19.ts';
import type { Engine } from '../src/runtime/engine.ts';
import type { Tensor } from '../src/runtime/tensor.ts';
import { loadWeights } from '../src/weights/index.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';

const engine = useEngine();
const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (p: string) => path.join(root, 'test/fixtures', p);

/** Runs `run` twice per setting (the first packs frozen weights, cached on them) and returns the second run's
 *  dispatch count and output values. */
async function measure(e: Engine, run: (fusion: FusionOptions) => Promise<Tensor[]>, fusion: FusionOptions) {
  (await run(fusion)).forEach((t) => t.release());
  const before = e.stats.dispatches;
  const outputs = await run(fusion);
  const dispatches = e.stats.dispatches - before;
  const values = await Promise.all(outputs.map(async (t) => Array.from(await t.read())));
  outputs.forEach((t) => t.release());
  return { dispatches, values };
}

async function expectFusion(e: Engine, run: (fusion: FusionOptions) => Promise<Tensor[]>, pairs: { convAct: number; normAct: number }) {
  const off = await measure(e, run, false);
  const on = await measure(e, run, true);
  const convOnly = await measure(e, run, { normAct: false });
  const normOnly = await measure(e, run, { convAct: false });
  expect(on.dispatches).toBe(off.dispatches - pairs.convAct - pairs.normAct);
  expect(convOnly.dispatches).toBe(off.dispatches - pairs.convAct);
  expect(normOnly.dispatches).toBe(off.dispatches - pairs.normAct);
  for (const r of [on, convOnly, normOnly]) expect(r.values).toEqual(off.values);
  return { on: on.dispatches, off: off.dispatches };
}

function image(width: number, height: number, seed: number): RgbaImage {
  return { width, height, data: Uint8ClampedArray.from(uniform(4 * width * height, seed, 0, 255)) };
}

describe('fusion on and off, per model: dispatch counts and outputs', () => {
  it('Gatys (forward + backward): one conv+ReLU pair per conv up to the deepest layer', async () => {
    const e = engine();
    const vgg = await Vgg19.load(e, vggWeights(await loadWeights(fixture('gatys/vgg19_tiny.pth'))), 'relu5_1');
    const layers = { contentLayers: ['relu4_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'] };
    const convs = VGG19_LAYER_NAMES.slice(0, layerIndex(deepestLayer([...layers.contentLayers, ...layers.styleLayers])) + 1).filter((n) => n.startsWith('conv')).length;
    expect(convs).toBe(13);
    const [content, style] = [image(32, 32, 1), image(32, 32, 2)];
    const x = e.tensor([1, 3, 32, 32], uniform(3 * 32 * 32, 3, -1, 1));
    const problems = new Map<string, GatysProblem>();
    const run = async (fusion: FusionOptions) => {
      const key = JSON.stringify(fusion);
      if (!problems.has(key)) problems.set(key, GatysProblem.create(e, vgg, content, [style], { imageSize: 32, ...layers, fusion }));
      const r = problems.get(key)!.evaluate(x);
      return [r.total, r.grad, r.content, r.style, r.tv];
    };
    const counts = await expectFusion(e, run, { convAct: convs, normAct: 0 });
    expect(problems.get('true')!.program.lastRun.dispatches).toBe(counts.on);
    for (const p of problems.values()) p.release();
    x.release();
    vgg.release();
  });

  it('fast style: an instance norm + ReLU pair in every layer that has a ReLU', async () => {
    const e = engine();
    const net = await loadFastStyle(e, 'wave', { mirror: path.resolve(root, '../shared/mirror') });
    const x = e.tensor([1, 3, 24, 32], uniform(3 * 24 * 32, 7, 0, 255));
    const counts = await expectFusion(e, async (fusion) => [await net.forward(x, { fusion })], { convAct: 0, normAct: FAST_STYLE_LAYERS.filter((l) => l.relu).length });
    expect(counts.off - counts.on).toBe(10);
    expect(net.programs.last!.program.lastRun.dispatches).toBe(counts.on);
    // Compiled once per input shape (and fusion choice), then reused.
    (await net.forward(x, { fusion: true })).release();
    const compiled = net.programs.last!.program;
    (await net.forward(x)).release(); // the default fusion is all rewrites: the same program
    expect(net.programs.last!.program === compiled).toBe(true);
    const other = e.tensor([1, 3, 20, 28], uniform(3 * 20 * 28, 9, 0, 255));
    (await net.forward(other)).release();
    expect(net.programs.last!.program === compiled).toBe(false);
    other.release();
    x.release();
    net.release();
  });

  it('Gated GAN: encoder, each used branch, each decoder block and each upsampling fuse an instance norm + ReLU', async () => {
    const e = engine();
    const gen = await GatedGanGenerator.load(e, fixture('gatedgan/netG.pth'));
    const golden = JSON.parse(readFileSync(path.join(root, 'test/golden/gatedgan.json'), 'utf8')) as { residualBlocks: number };
    const label = [0.5, 0, 0.25, 0.25]; // branches 0 and 2 (branch 1 is skipped, 3 is the identity)
    const x = e.tensor([1, 3, 13, 18], uniform(3 * 13 * 18, 8, -1, 1));
    await expectFusion(e, async (fusion) => [gen.forward(x, label, { fusion })], { convAct: 0, normAct: 3 + 2 + golden.residualBlocks + 2 });
    x.release();
    gen.release();
  });

  it('AdaIN with two styles: every encoder conv of the three images and every decoder conv but the last fuse their ReLU', async () => {
    const e = engine();
    const model = await AdaIN.load(e, fixture('adain/vgg_normalised.pth'), fixture('adain/decoder.pth'));
    const [content, s1, s2] = [[17, 20], [16, 16], [24, 12]].map(([h, w], i) => e.tensor([1, 3, h, w], uniform(3 * h * w, 20 + i, 0, 1)));
    const run = async (fusion: FusionOptions) => [await model.transfer(content, [s1, s2], { weights: [1, 2], alpha: 0.8, fusion })];
    await expectFusion(e, run, { convAct: 9 * 3 + 8, normAct: 0 });
    for (const t of [content, s1, s2]) t.release();
    model.release();
  });

  it("StyleGAN: each block's conv2 fuses its LeakyReLU when no noise sits between them; none fuse with noise on", async () => {
    const e = engine();
    const size = 32;
    const step = Math.log2(size / 4);
    const generators = new Map<string, StyledGenerator>();
    const load = async (fusion: FusionOptions) => {
      const key = JSON.stringify(fusion);
      if (!generators.has(key)) generators.set(key, await StyledGenerator.load(e, fixture('stylegan/tiny.model'), { fusion }));
      return generators.get(key)!;
    };
    const latents = latentsForSeeds([3, 4], (await load(true)).codeDim);
    const noiseMaps = [...Array(step + 1).keys()].map((i) => {
      const s = 4 * 2 ** i;
      return Float32Array.from({ length: 2 * s * s }, (_, k) => Math.sin(0.37 * k + i));
    });
    /** The second run's dispatches (the first compiles and packs weights) and the images. */
    const measureGenerator = async (fusion: FusionOptions, noise: Float32Array[] | 'zeros') => {
      const g = await load(fusion);
      await g.synthesize({ size, latents, noise });
      const before = e.stats.dispatches;
      const values = Array.from(await g.synthesize({ size, latents, noise }));
      return { dispatches: e.stats.dispatches - before, values };
    };
    for (const [noise, pairs] of [['zeros', step + 1], [noiseMaps, 0]] as const) {
      const off = await measureGenerator(false, noise as Float32Array[] | 'zeros');
      const on = await measureGenerator(true, noise as Float32Array[] | 'zeros');
      const convOnly = await measureGenerator({ normAct: false }, noise as Float32Array[] | 'zeros');
      expect(on.dispatches).toBe(off.dispatches - pairs);
      expect(convOnly.dispatches).toBe(on.dispatches);
      expect(on.values).toEqual(off.values);
      expect(convOnly.values).toEqual(off.values);
    }
    for (const g of generators.values()) g.release();
  });
});
