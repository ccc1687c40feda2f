// The fusion rewrites per model: with fusion on, every conv/instance norm followed by its ReLU runs as one
// dispatch, every style loss's Gram + MSE chain (forward and backward) as one or two, every accumulated gradient
// masked by a ReLU as one, every StyleGAN noise injection and its LeakyReLU as one, every residual block's
// instance norm and sum as one, every tree of add / scale / axpy steps as one linear combination; a run dispatches
// exactly (unfused − what each rewrite removes) kernels, with every rewrite on and with each alone. The counts are
// computed from each model's architecture. Outputs are bit-identical (a ReLU in an epilogue is the same max(·, 0);
// the gradient sum does add's and the mask's arithmetic; the residual sum is add's f32 addition, which commutes)
// except with gramMse, whose loss sums in another order and scales the gradient once, and with linearSum where a
// tree's weights round once instead of twice, and with lossWeight, whose weight joins another factor: see below.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUSIONS, type FusionName } from '../src/graph/fusion.ts';
import { type FusionOptions, Graph, Program, add, conv2d, instanceNorm, relu } from '../src/graph/index.ts';
import { gramBackwardKernels } from '../src/kernels/gram.ts';
import { plan } from '../src/kernels/planner.ts';
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
import { expectClose } from './helpers/compare.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';

const engine = useEngine();
const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (p: string) => path.join(root, 'test/fixtures', p);

const padInputs = (e: Engine) => e.stats.byKernel['conv2d.padInput'] ?? 0;

/** Runs `run` twice per setting (the first packs frozen weights, cached on them) and returns the second run's
 *  dispatch count (and how many of them were conv padding passes) and output values. */
async function measure(e: Engine, run: (fusion: FusionOptions) => Promise<Tensor[]>, fusion: FusionOptions) {
  (await run(fusion)).forEach((t) => t.release());
  const before = e.stats.dispatches;
  const padsBefore = padInputs(e);
  const outputs = await run(fusion);
  const dispatches = e.stats.dispatches - before;
  const pads = padInputs(e) - padsBefore;
  const values = await Promise.all(outputs.map(async (t) => Array.from(await t.read())));
  outputs.forEach((t) => t.release());
  return { dispatches, pads, values };
}

/** The step rewrites counted here; paddedOutput (a memory-plan rewrite that removes padding passes) is held off
 *  and counted in its own describe block below. */
const NAMES = Object.keys(FUSIONS) as (keyof typeof FUSIONS)[];
/** Every step rewrite on, paddedOutput off. */
const STEP_REWRITES: FusionOptions = { paddedOutput: false };
/** Every rewrite off but `name`. */
const only = (name: FusionName): FusionOptions => ({ ...Object.fromEntries(NAMES.map((n) => [n, n === name])), paddedOutput: false });

/** Dispatches each rewrite removes from one run. */
type Savings = Record<keyof typeof FUSIONS, number>;

/** Outputs with gramMse, linearSum or lossWeight on, where a model's chains round differently: each within
 *  `RELATIVE` of its unfused counterpart's largest magnitude. The fused loss sums (G − T)² in another order and the
 *  fused gradient scales D + Dᵀ once instead of twice; linearSum rounds a scaled leaf after the first term, or a
 *  scaled inner sum, once instead of twice ((steps + terms)·2⁻²⁴ relative, src/graph/patterns.ts); lossWeight
 *  rounds w/n or 2w/n once, and weights tv's terms before their sum: a few f32 roundings (≤ 1e-6 relative)
 *  carried linearly back through the network. */
const RELATIVE = 1e-5;
function expectNearly(got: number[][], want: number[][]): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, k) => {
    const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expectClose(got[k], w, RELATIVE * scale, 0, `output ${k}`);
  });
}

/** Runs every step rewrite alone, all of them, and none: each alone removes its `savings`; all together remove
 *  their sum less `overlap` (dispatches two rewrites both remove, e.g. a loss weight's scale that gramMse folds
 *  and linearSum would absorb). Outputs equal the unfused ones bit for bit, or nearly where a rewrite named in
 *  `bounded` is on. */
async function expectFusion(e: Engine, run: (fusion: FusionOptions) => Promise<Tensor[]>, savings: Savings, { overlap = 0, bounded = [] as (keyof typeof FUSIONS)[] } = {}) {
  const alone = [];
  for (const name of NAMES) alone.push({ name, ...(await measure(e, run, only(name))) });
  const off = await measure(e, run, false);
  const on = await measure(e, run, STEP_REWRITES); // last, so a model's last program is this one
  const check = (r: typeof on, names: readonly string[]) => (bounded.some((n) => names.includes(n)) ? expectNearly(r.values, off.values) : expect(r.values).toEqual(off.values));
  expect(on.dispatches).toBe(off.dispatches - NAMES.reduce((s, n) => s + savings[n], 0) + overlap);
  check(on, NAMES);
  for (const r of alone) {
    expect(r.dispatches, `${r.name} alone`).toBe(off.dispatches - savings[r.name]);
    check(r, [r.name]);
  }
  return { on: on.dispatches, off: off.dispatches };
}

/** What gramMse removes per style loss on F [N, C, H, W]: forward, the mse's difference, reduction passes and
 *  1/n scale and the weight's scale, for one kernel; backward, the weight's scale and mseBackward, and on the
 *  subgroup Gram backward its symmetrising pass (the fused rows kernel feeds the matrix product directly). */
function gramMseSavings(e: Engine, F: readonly number[]): number {
  const [N, C] = F;
  let passes = 1;
  for (let groups = Math.ceil((N * C * C) / 2048); groups > 1; groups = Math.ceil(groups / 2048)) passes++;
  const subgroup = plan(gramBackwardKernels, 'test', { F }, e.ctx).name === 'matmulSubgroup';
  return passes + 2 + (subgroup ? 2 : 1);
}

const NONE: Savings = { convAct: 0, normAct: 0, gramMse: 0, gradAddAct: 0, noiseAct: 0, normAdd: 0, linearSum: 0, lossWeight: 0 };

function image(width: number, height: number, seed: number): RgbaImage {
  return { width, height, data: Uint8ClampedArray.from(uniform(4 * width * height, seed, 0, 255)) };
}

const GATYS_LAYERS = { contentLayers: ['relu4_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'] };

/** Gatys evaluations at `size` px, one problem per fusion setting (made on first use): `run` returns the total,
 *  gradient and loss terms. */
function gatysEvaluations(e: Engine, vgg: Vgg19, size: number) {
  const [content, style] = [image(size, size, 1), image(size, size, 2)];
  const x = e.tensor([1, 3, size, size], uniform(3 * size * size, 3, -1, 1));
  const problems = new Map<string, GatysProblem>();
  const run = async (fusion: FusionOptions) => {
    const key = JSON.stringify(fusion);
    if (!problems.has(key)) problems.set(key, GatysProblem.create(e, vgg, content, [style], { imageSize: size, ...GATYS_LAYERS, fusion }));
    const r = problems.get(key)!.evaluate(x);
    return [r.total, r.grad, r.content, r.style, r.tv];
  };
  const release = () => {
    for (const p of problems.values()) p.release();
    x.release();
  };
  return { run, problems, release };
}

describe('fusion on and off, per model: dispatch counts and outputs', () => {
  it('Gatys (forward + backward): a conv+ReLU pair per conv, a Gram+MSE chain per style layer, a gradient sum + ReLU per loss layer but the deepest', async () => {
    const e = engine();
    const vgg = await Vgg19.load(e, vggWeights(await loadWeights(fixture('gatys/vgg19_tiny.pth'))), 'relu5_1');
    const convs = VGG19_LAYER_NAMES.slice(0, layerIndex(deepestLayer([...GATYS_LAYERS.contentLayers, ...GATYS_LAYERS.styleLayers])) + 1).filter((n) => n.startsWith('conv')).length;
    expect(convs).toBe(13);
    const gatys = gatysEvaluations(e, vgg, 32);
    const [content, style] = [image(32, 32, 1), image(32, 32, 2)];
    const layers = GATYS_LAYERS;
    // The style layers' feature shapes, from the unfused program's Gram steps.
    const unfused = GatysProblem.create(e, vgg, content, [style], { imageSize: 32, ...layers, fusion: false });
    const features = unfused.program.steps.filter((s) => s.op === 'gram').map((s) => s.inputs[0].shape);
    unfused.release();
    expect(features).toHaveLength(layers.styleLayers.length);
    const gramMse = features.reduce((sum, F) => sum + gramMseSavings(e, F), 0);
    // Every loss layer but the deepest gets its loss gradient plus the deeper layers' gradient: one accumulation
    // add before its ReLU's backward each.
    const gradAddAct = new Set([...layers.contentLayers, ...layers.styleLayers]).size - 1;
    // linearSum: the style loss Σ_l scale(loss_l, w) (S − 1 adds, S scales) and the total add(add(content, style),
    // tv) each become one step (content, style and tv are outputs: leaves of the total).
    // lossWeight: every loss's weight (S style, C content, tv) leaves its scale for the loss kernel, and so does
    // the seed scale(1, w) of each loss's backward.
    // With gramMse on, the style losses' weights are folded into the Gram losses and their backward already: S
    // forward scales that linearSum and lossWeight would remove too, S seeds that lossWeight would.
    const [S, C] = [layers.styleLayers.length, layers.contentLayers.length];
    const linearSum = 2 * S - 2 + 1;
    const lossWeight = 2 * (S + C + 1);
    const savings = { ...NONE, convAct: convs, gramMse, gradAddAct, linearSum, lossWeight };
    const counts = await expectFusion(e, gatys.run, savings, { overlap: 3 * S, bounded: ['gramMse', 'linearSum', 'lossWeight'] });
    expect(gatys.problems.get(JSON.stringify(STEP_REWRITES))!.program.lastRun.dispatches).toBe(counts.on);
    gatys.release();
    vgg.release();
  });

  it('fast style: an instance norm + ReLU pair in every layer that has a ReLU, an instance norm + residual sum in every residual block', async () => {
    const e = engine();
    const net = await loadFastStyle(e, 'wave', { mirror: path.resolve(root, '../shared/mirror') });
    const x = e.tensor([1, 3, 24, 32], uniform(3 * 24 * 32, 7, 0, 255));
    const normAdd = FAST_STYLE_LAYERS.filter((l) => l.residual === 'second').length;
    const counts = await expectFusion(e, async (fusion) => [await net.forward(x, { fusion })], { ...NONE, normAct: FAST_STYLE_LAYERS.filter((l) => l.relu).length, normAdd });
    expect([normAdd, counts.off - counts.on]).toEqual([5, 15]);
    expect(net.programs.last!.program.lastRun.dispatches).toBe(counts.on);
    // With every rewrite on, no add is left: each block's sum runs in its second norm's pass.
    const ops = net.programs.last!.program.steps.map((s) => s.op);
    expect([ops.filter((o) => o === 'add').length, ops.filter((o) => o === 'instanceNormAdd').length]).toEqual([0, 5]);
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

  it('Gated GAN: encoder, each used branch, each decoder block and each upsampling fuse an instance norm + ReLU; each used branch and decoder block its residual sum', async () => {
    const e = engine();
    const gen = await GatedGanGenerator.load(e, fixture('gatedgan/netG.pth'));
    const golden = JSON.parse(readFileSync(path.join(root, 'test/golden/gatedgan.json'), 'utf8')) as { residualBlocks: number };
    const label = [0.5, 0, 0.25, 0.25]; // branches 0 and 2 (branch 1 is skipped, 3 is the identity)
    const x = e.tensor([1, 3, 13, 18], uniform(3 * 13 * 18, 8, -1, 1));
    // Every residual block (a used branch or a decoder block) ends in add(x, IN(conv(…))): normAdd. linearSum: the
    // label-weighted sum of the used terms (a scale and an axpy per further term: here 0.5·b₀ + 0.25·b₂ + 0.25·features)
    // and each used branch's residual add bᵢ = features + IN(…) (read by the sum alone) in one step. With both on,
    // normAdd (which runs first) has taken the branches' residual adds, so linearSum removes those fewer.
    const terms = label.filter((w) => w !== 0).length;
    const residualAdds = label.slice(0, -1).filter((w) => w !== 0).length;
    const linearSum = terms + residualAdds - 1;
    expect(linearSum).toBe(4);
    await expectFusion(e, async (fusion) => [gen.forward(x, label, { fusion })], { ...NONE, normAct: 3 + 2 + golden.residualBlocks + 2, normAdd: residualAdds + golden.residualBlocks, linearSum }, { overlap: residualAdds, bounded: ['linearSum'] });
    x.release();
    gen.release();
  });

  it('AdaIN with two styles: every encoder conv of the three images and every decoder conv but the last fuse their ReLU', async () => {
    const e = engine();
    const model = await AdaIN.load(e, fixture('adain/vgg_normalised.pth'), fixture('adain/decoder.pth'));
    const [content, s1, s2] = [[17, 20], [16, 16], [24, 12]].map(([h, w], i) => e.tensor([1, 3, h, w], uniform(3 * h * w, 20 + i, 0, 1)));
    const styles = [s1, s2];
    const run = async (fusion: FusionOptions) => [await model.transfer(content, styles, { weights: [1, 2], alpha: 0.8, fusion })];
    // linearSum: the style weights' sum (a scale and an axpy per further style) and the α mix with the content (a
    // scale and an axpy) in one step.
    await expectFusion(e, run, { ...NONE, convAct: 9 * 3 + 8, linearSum: styles.length + 2 - 1 }, { bounded: ['linearSum'] });
    for (const t of [content, s1, s2]) t.release();
    model.release();
  });

  it("StyleGAN: each block's conv2 fuses its LeakyReLU when no noise sits between them; with noise, each noise injection fuses its LeakyReLU", async () => {
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
    // Without noise each block's conv2 feeds its LeakyReLU (convAct); with noise, each of a block's two noise
    // injections feeds one (noiseAct), and no conv reaches its activation directly.
    for (const [noise, convAct, noiseAct] of [['zeros', step + 1, 0], [noiseMaps, 0, 2 * (step + 1)]] as const) {
      const at = (fusion: FusionOptions) => measureGenerator(fusion, noise as Float32Array[] | 'zeros');
      const off = await at(false);
      const on = await at(STEP_REWRITES);
      const convOnly = await at(only('convAct'));
      const noiseOnly = await at(only('noiseAct'));
      expect(on.dispatches).toBe(off.dispatches - convAct - noiseAct);
      expect(convOnly.dispatches).toBe(off.dispatches - convAct);
      expect(noiseOnly.dispatches).toBe(off.dispatches - noiseAct);
      for (const r of [on, convOnly, noiseOnly]) expect(r.values).toEqual(off.values);
    }
    for (const g of generators.values()) g.release();
  });
});

describe('paddedOutput: producers write straight into the next conv’s padded input', () => {
  /** With paddedOutput off and on (every other rewrite on): `removed` fewer padding passes and dispatches,
   *  the same output bits. */
  async function expectPaddedOutput(e: Engine, run: (fusion: FusionOptions) => Promise<Tensor[]>, removed: number) {
    const off = await measure(e, run, { paddedOutput: false });
    const on = await measure(e, run, true);
    expect(off.pads).toBeGreaterThanOrEqual(removed);
    expect(on.pads).toBe(off.pads - removed);
    expect(on.dispatches).toBe(off.dispatches - removed);
    expect(on.values).toEqual(off.values);
  }

  it.each([32, 45])('Gatys at %i px (forward + backward): each pool into the next conv, each ReLU gradient (summed or not) into its conv’s input gradient', async (size) => {
    const e = engine();
    const vgg = await Vgg19.load(e, vggWeights(await loadWeights(fixture('gatys/vgg19_tiny.pth'))), 'relu5_1');
    const used = VGG19_LAYER_NAMES.slice(0, layerIndex('relu5_1') + 1);
    const convs = used.filter((n) => n.startsWith('conv')).length;
    // A pool's output is read by the next conv only (its backward reads the pool's input); a ReLU gradient
    // (fused into the conv's backward as reluBackward) by that conv's input gradient only. Every other
    // activation is also read by a loss or a ReLU gradient, so it stays row-major.
    const poolsIntoConvs = used.filter((n, i) => n.startsWith('pool') && used[i + 1]?.startsWith('conv')).length;
    expect([convs, poolsIntoConvs]).toEqual([13, 4]);
    // A ReLU gradient fused with its accumulation add (gradAddAct: one per loss layer but the deepest) is an
    // activationBackwardSum, which writes the padded layout too.
    const gatys = gatysEvaluations(e, vgg, size);
    await expectPaddedOutput(e, gatys.run, poolsIntoConvs + convs);
    gatys.release();
    vgg.release();
  });

  it('fast style: each instance norm + ReLU read by a conv alone (not a residual block input, not a transposed conv)', async () => {
    const e = engine();
    const net = await loadFastStyle(e, 'wave', { mirror: path.resolve(root, '../shared/mirror') });
    const x = e.tensor([1, 3, 24, 32], uniform(3 * 24 * 32, 7, 0, 255));
    // The layer before a conv feeds it alone unless it is a residual block's input (the block's sum reads it
    // too); transposed convs pad per phase and keep their padding passes.
    const L = FAST_STYLE_LAYERS;
    const removed = L.filter((l, i) => i > 0 && !l.transposed && l.residual !== 'first').length;
    expect(removed).toBe(8);
    await expectPaddedOutput(e, async (fusion) => [await net.forward(x, { fusion })], removed);
    x.release();
    net.release();
  });

  it.each(['r + norm', 'norm + r'])('normAdd (%s): a residual sum read by a zero-padded conv alone is written by the fused norm into its padded input', async (order) => {
    const e = engine();
    const [N, C, H, W] = [1, 4, 9, 11];
    const [x, r] = ['x', 'r'].map((name, i) => e.tensor([N, C, H, W], uniform(N * C * H * W, 40 + i, -2, 2)));
    const [gamma, beta] = [uniform(C, 42, 0.5, 2), uniform(C, 43)].map((v) => e.tensor([C], v));
    const w = e.tensor([C, C, 3, 3], uniform(C * C * 9, 44, -0.3, 0.3));
    const g = new Graph();
    // relu(instanceNorm(x)) and r summed into a 3×3 conv with zero padding 1, the sum's only reader.
    const norm = relu(instanceNorm(g.input('x', x.shape), { gamma: g.constant('gamma', gamma), beta: g.constant('beta', beta) }));
    const residual = g.input('r', r.shape);
    const sum = order === 'r + norm' ? add(residual, norm) : add(norm, residual);
    const out = conv2d(sum, g.constant('w', w), undefined, { padding: 1 });
    const programs = new Map<string, Program>();
    const run = async (fusion: FusionOptions) => {
      const key = JSON.stringify(fusion);
      if (!programs.has(key)) programs.set(key, new Program([out], { fusion }));
      return programs.get(key)!.run(e, { x, r });
    };
    // Unfused: norm, relu, add, padding pass, conv; fused: one norm pass writing the padded sum, the conv.
    const off = await measure(e, run, false);
    const on = await measure(e, run, true);
    const noPadded = await measure(e, run, { paddedOutput: false });
    const noNormAdd = await measure(e, run, { normAdd: false });
    expect([off, noNormAdd, noPadded, on].map((m) => [m.dispatches, m.pads])).toEqual([[5, 1], [4, 1], [3, 1], [2, 0]]);
    for (const m of [on, noPadded, noNormAdd]) expect(m.values).toEqual(off.values);
    expect(programs.get(JSON.stringify(true))!.steps.map((s) => s.op)).toEqual(['instanceNormAdd', 'conv2d']);
    for (const t of [x, r, gamma, beta, w]) t.release();
  });
});
