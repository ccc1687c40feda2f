// StyleGAN's generator (Karras et al. 2019, "A Style-Based Generator Architecture for Generative Adversarial
// Networks") as rosinality/style-based-gan-pytorch implements it (model.py: StyledGenerator), as a graph program:
//   mapping     PixelNorm, then L (upstream 8) × (EqualLinear D→D, LeakyReLU 0.2): latent z [N, D] → style w
//   truncation  w ← mean + ψ·(w − mean), the mean style computed from mapped random latents (generate.py)
//   synthesis   block 0 starts from the learned constant [1, C, 4, 4]; block i > 0 upsamples ×2: nearest, 3×3
//               EqualConv2d, Blur (blocks 1–4 upstream), or FusedUpsample — a stride-2 transposed conv whose 3×3
//               kernel is zero-padded to 4×4 and averaged over its four 2×2 shifts — then Blur (blocks ≥ 5).
//               Each block: conv1 → noise1 → LeakyReLU 0.2 → AdaIN1 → conv2 (3×3) → noise2 → LeakyReLU → AdaIN2,
//               AdaIN = instance norm (eps 1e-5) times gamma plus beta, [gamma, beta] = EqualLinear(w) [N, 2C];
//               both noise injections of a block read the same map [N, 1, s, s].
//   output      to_rgb[step] (1×1 EqualConv2d to 3 channels); with a fade-in 0 ≤ alpha < 1, mixed with the
//               nearest-upsampled to_rgb[step − 1] of the previous block's output: (1 − α)·skip + α·rgb.
//   mixing      blocks a…b of the mixing range take the second latent's style, the others the first's.
// Equalised learning rate: every weight_orig is used as weight_orig · √(2 / fan_in), fan_in = Cin·k·k (the
// noise weights too: fan_in = C). Widths, depth, code dimension and which blocks use the fused upsample are read
// from the checkpoint's shapes and keys, so narrow test checkpoints load like upstream's 512-channel ones.
// One program per (step, alpha, batch, mixing range, truncation ψ, noise on/off), built once and cached; the mean
// style for truncation runs the mapping as 1×1 convolutions over many latents at once (meanStyle).
import type { RgbaImage } from '../image/io.ts';
import { planesToImage } from '../image/io.ts';
import { type FusionOptions, Graph, type Node, Program } from '../graph/index.ts';
import { add, conv2d, convTranspose2d, leakyRelu, scale, upsampleNearest2x } from '../graph/ops.ts';
import { torchConvTranspose2d } from '../kernels/geometry.ts';
import * as sg from '../graph/styleganOps.ts';
import type { Engine } from '../runtime/engine.ts';
import type { Tensor } from '../runtime/tensor.ts';
import { type SourceOptions, type WeightSet, checkShapes } from '../weights/index.ts';
import { fmtShape } from '../weights/tensors.ts';
import { openWeights } from './layers.ts';

const SLOPE = 0.2;

/** rosinality's checkpoints hold two generators: the running average (used to sample) and the trained one. */
export type StyleGanWeights = 'g_running' | 'generator';

export interface StyleGanArchitecture {
  codeDim: number;
  mappingLayers: number;
  /** Output channels of progression block i (resolution 4·2^i). */
  channels: number[];
  /** Whether block i upsamples with FusedUpsample (a transposed conv) rather than nearest + conv. */
  fused: boolean[];
}

/** √(2 / fan_in): the equalised-learning-rate multiplier of a weight with that fan-in. */
export const equalLrMultiplier = (fanIn: number) => Math.sqrt(2 / fanIn);

/** The state dict's keys and shapes (without the 'g_running.'/'generator.' prefix of a training checkpoint). */
export function styleGanShapes(a: StyleGanArchitecture): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  const D = a.codeDim;
  for (let k = 0; k < a.mappingLayers; k++) {
    shapes[`style.${2 * k + 1}.linear.weight_orig`] = [D, D];
    shapes[`style.${2 * k + 1}.linear.bias`] = [D];
  }
  a.channels.forEach((C, i) => {
    const p = `generator.progression.${i}`;
    const Cin = a.channels[Math.max(i - 1, 0)];
    if (i === 0) shapes[`${p}.conv1.input`] = [1, C, 4, 4];
    else if (a.fused[i]) {
      shapes[`${p}.conv1.0.weight`] = [Cin, C, 3, 3];
      shapes[`${p}.conv1.0.bias`] = [C];
    } else {
      shapes[`${p}.conv1.1.conv.weight_orig`] = [C, Cin, 3, 3];
      shapes[`${p}.conv1.1.conv.bias`] = [C];
    }
    shapes[`${p}.conv2.conv.weight_orig`] = [C, C, 3, 3];
    shapes[`${p}.conv2.conv.bias`] = [C];
    for (const j of [1, 2]) {
      shapes[`${p}.noise${j}.weight_orig`] = [1, C, 1, 1];
      shapes[`${p}.adain${j}.style.linear.weight_orig`] = [2 * C, D];
      shapes[`${p}.adain${j}.style.linear.bias`] = [2 * C];
    }
    shapes[`generator.to_rgb.${i}.conv.weight_orig`] = [3, C, 1, 1];
    shapes[`generator.to_rgb.${i}.conv.bias`] = [3];
  });
  return shapes;
}

interface Linear {
  /** weight_orig [Out, In] times its equalised-lr multiplier. */
  weight: Tensor;
  bias: Tensor;
}
interface MappingLayer extends Linear {
  /** The same buffer as `weight`, viewed as a 1×1 conv [Out, In, 1, 1] for many latents at once. */
  conv: Tensor;
}
interface Conv {
  weight: Tensor;
  bias: Tensor;
}
interface StyledBlock {
  /** Block 0: the learned constant [1, C, 4, 4]. */
  constant?: Float32Array;
  /** Blocks > 0: [Cout, Cin, 3, 3] after nearest ×2, or the fused [Cin, Cout, 4, 4] transposed-conv kernel. */
  conv1?: Conv & { fused: boolean };
  conv2: Conv;
  noise: [Tensor, Tensor];
  /** AdaIN's style affine split into its gamma rows and its beta rows. */
  adain: [{ gamma: Linear; beta: Linear }, { gamma: Linear; beta: Linear }];
  toRgb: Conv;
}

export interface SynthesisOptions {
  /** Output size: 4·2^step, one of `sizes`. */
  size: number;
  /** Main latents [N, codeDim], row-major. */
  latents: Float32Array;
  /** Second latents [N, codeDim] whose style drives blocks range[0]…range[1] (inclusive). */
  mix?: { latents: Float32Array; range: readonly [number, number] };
  /** Style truncation toward `meanStyle` [codeDim] (from meanStyle()): w ← mean + psi·(w − mean). */
  truncation?: { psi: number; meanStyle: Float32Array };
  /** Noise maps of blocks 0…step, each [N, s, s] flattened (s = 4·2^i), or 'zeros' (no noise). */
  noise: readonly Float32Array[] | 'zeros';
  /** Fade-in between the last two resolutions, 0 ≤ alpha < 1; default 1 (no fade). */
  alpha?: number;
}

export class StyledGenerator {
  private programs = new Map<string, { program: Program; constant?: Tensor }>();

  private constructor(
    readonly engine: Engine,
    readonly architecture: StyleGanArchitecture,
    private readonly mappingLayers: MappingLayer[],
    private readonly blocks: StyledBlock[],
    /** Where the weights came from, and which of the checkpoint's generators. */
    readonly description: string,
    /** The graph rewrites its programs use (src/graph/fusion.ts); all by default. */
    readonly fusion: FusionOptions | undefined,
  ) {}

  /**
   * A rosinality checkpoint: a training checkpoint (`.model`/`.pt`: torch.save of {'generator', 'g_running', …};
   * `which` picks one, g_running by default) or a bare StyledGenerator state dict (.pth or .safetensors). The
   * architecture is read from the tensors; errors name every tensor that is missing or has the wrong shape.
   */
  static async load(e: Engine, from: string | WeightSet, opts: SourceOptions & { which?: StyleGanWeights; fusion?: FusionOptions } = {}): Promise<StyledGenerator> {
    const set = await openWeights(from, opts);
    const which = opts.which ?? 'g_running';
    const names = new Set(set.names());
    const probe = 'style.1.linear.weight_orig';
    let prefix: string;
    if (names.has(`${which}.${probe}`)) prefix = `${which}.`;
    else if (names.has(probe) && !names.has(`generator.${probe}`) && !names.has(`g_running.${probe}`)) prefix = '';
    else {
      const has = (['g_running', 'generator'] as const).filter((w) => names.has(`${w}.${probe}`));
      throw new Error(
        `${which}.${probe}: no such tensor in ${set.description}: ` +
          (has.length ? `it holds ${has.join(' and ')} only` : 'not a rosinality StyledGenerator checkpoint (no mapping network)'),
      );
    }
    const arch = readArchitecture(set, prefix);
    const shapes = styleGanShapes(arch);
    checkShapes(
      set,
      Object.fromEntries(Object.entries(shapes).map(([k, s]) => [prefix + k, s])),
    );
    const get = async (key: string) => (await set.get(prefix + key, shapes[key])).data;
    const upload = (shape: number[], data: ArrayLike<number>) => e.tensor(shape, data);

    const mappingLayer = async (p: string): Promise<MappingLayer> => {
      const weight = upload([arch.codeDim, arch.codeDim], scaled(await get(`${p}.weight_orig`), equalLrMultiplier(arch.codeDim)));
      return { weight, conv: weight.reshape([arch.codeDim, arch.codeDim, 1, 1]), bias: upload([arch.codeDim], await get(`${p}.bias`)) };
    };
    /** EqualConv2d: weight_orig scaled once here, as its forward pre-hook does on every call (so are the linear
     *  layers' and the noise weights). */
    const equalConv = async (p: string): Promise<Conv> => {
      const shape = shapes[`${p}.weight_orig`];
      const m = equalLrMultiplier(shape[1] * shape[2] * shape[3]);
      return { weight: upload(shape, scaled(await get(`${p}.weight_orig`), m)), bias: upload([shape[0]], await get(`${p}.bias`)) };
    };
    const mapping = await Promise.all([...Array(arch.mappingLayers).keys()].map((k) => mappingLayer(`style.${2 * k + 1}.linear`)));
    const blocks: StyledBlock[] = [];
    for (let i = 0; i < arch.channels.length; i++) {
      const p = `generator.progression.${i}`;
      const C = arch.channels[i];
      /** AdaIN's style affine [2C, D]: rows 0…C−1 give gamma, rows C…2C−1 beta (upstream's chunk(2, 1)). */
      const adain = async (j: number) => {
        const p2 = `${p}.adain${j}.style.linear`;
        const [w, b] = [await get(`${p2}.weight_orig`), await get(`${p2}.bias`)];
        const half = (from: number): Linear => ({
          weight: upload([C, arch.codeDim], scaled(w.subarray(from * arch.codeDim, (from + C) * arch.codeDim), equalLrMultiplier(arch.codeDim))),
          bias: upload([C], b.subarray(from, from + C)),
        });
        return { gamma: half(0), beta: half(C) };
      };
      const noise = async (j: number) => upload([C], scaled(await get(`${p}.noise${j}.weight_orig`), equalLrMultiplier(C)));
      let conv1: StyledBlock['conv1'];
      if (i > 0 && arch.fused[i]) {
        const shape = shapes[`${p}.conv1.0.weight`];
        const kernel = fusedUpsampleKernel(await get(`${p}.conv1.0.weight`), shape, equalLrMultiplier(shape[0] * shape[2] * shape[3]));
        conv1 = { weight: upload([shape[0], shape[1], 4, 4], kernel), bias: upload([C], await get(`${p}.conv1.0.bias`)), fused: true };
      } else if (i > 0) conv1 = { ...(await equalConv(`${p}.conv1.1.conv`)), fused: false };
      blocks.push({
        constant: i === 0 ? Float32Array.from(await get(`${p}.conv1.input`)) : undefined,
        conv1,
        conv2: await equalConv(`${p}.conv2.conv`),
        noise: [await noise(1), await noise(2)],
        adain: [await adain(1), await adain(2)],
        toRgb: await equalConv(`generator.to_rgb.${i}.conv`),
      });
    }
    const what = prefix ? `${set.description} (${which})` : set.description;
    return new StyledGenerator(e, arch, mapping, blocks, what, opts.fusion);
  }

  get codeDim(): number {
    return this.architecture.codeDim;
  }

  /** The output sizes the checkpoint can produce: 4·2^step for each progression block. */
  get sizes(): number[] {
    return this.blocks.map((_, i) => 4 * 2 ** i);
  }

  /** The progression step for an output size; refuses sizes the checkpoint cannot produce, listing those it can. */
  stepFor(size: number): number {
    const step = this.sizes.indexOf(size);
    if (step < 0) throw new Error(`size ${size}: ${this.description} can produce ${this.sizes.join(', ')} px`);
    return step;
  }

  /** The mean style over the mapped latents [M, codeDim] (generate.py's mean_style, averaged over batches of
   *  `batch` rows as it averages its 10 batches of 1024). Each batch runs with the latents as the pixels of a
   *  [1, D, rows/width, width] image, so the linear layers are 1×1 convolutions: the conv kernels' matrix throughput rather
   *  than one dot product per invocation (10240 latents of 512: ~90 s the other way on lavapipe). */
  async meanStyle(latents: Float32Array, batch = 1024): Promise<Float32Array> {
    const D = this.codeDim;
    const M = this.batchOf(latents, 'latents');
    const sum = new Float64Array(D);
    for (let at = 0; at < M; at += batch) {
      const rows = Math.min(batch, M - at);
      const columns = new Float32Array(D * rows);
      for (let r = 0; r < rows; r++) for (let d = 0; d < D; d++) columns[d * rows + r] = latents[(at + r) * D + d];
      // The columns laid out as a roughly square image (the conv kernels tile rows and columns of pixels).
      const width = [32, 16, 8, 4, 2, 1].find((w) => rows % w === 0)!;
      const shape = [1, D, rows / width, width];
      const { program } = this.compiled(`mapColumns|${rows}`, (g) => ({ outputs: [this.mappingOfColumns(g.input('zColumns', shape))] }));
      const w = await this.runToArray(program, { zColumns: columns }, shape);
      for (let d = 0; d < D; d++) for (let r = 0; r < rows; r++) sum[d] += w[d * rows + r];
    }
    return Float32Array.from(sum, (s) => s / M);
  }

  /** Images [N, 3, size, size] (row-major floats, about −1…1) for the options. */
  async synthesize(o: SynthesisOptions): Promise<Float32Array> {
    const step = this.stepFor(o.size);
    const N = this.batchOf(o.latents, 'latents');
    const alpha = o.alpha ?? 1;
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`alpha must be in [0, 1], got ${alpha}`);
    const fade = step > 0 && alpha < 1 ? alpha : undefined;
    if (o.mix) {
      if (this.batchOf(o.mix.latents, 'mixing latents') !== N) throw new Error(`mixing latents: ${o.mix.latents.length / this.codeDim} rows for ${N} main latents`);
      const [a, b] = o.mix.range;
      if (!(Number.isInteger(a) && Number.isInteger(b) && 0 <= a && a <= b && b < this.blocks.length)) {
        throw new Error(`mixing range ${a}-${b}: needs blocks 0 ≤ a ≤ b ≤ ${this.blocks.length - 1}`);
      }
    }
    const psi = o.truncation?.psi;
    if (o.truncation && (o.truncation.meanStyle.length !== this.codeDim || !Number.isFinite(psi))) {
      throw new Error(`truncation: needs a finite psi and a mean style of ${this.codeDim} values, got ${o.truncation.meanStyle.length}`);
    }
    const inputs: Record<string, Float32Array> = { z: o.latents };
    if (o.mix) inputs.z2 = o.mix.latents;
    if (o.truncation) {
      const mean = new Float32Array(N * this.codeDim);
      for (let n = 0; n < N; n++) mean.set(o.truncation.meanStyle, n * this.codeDim);
      inputs.meanStyle = mean;
    }
    for (let i = 0; i <= step; i++) {
      const s = 4 * 2 ** i;
      if (o.noise !== 'zeros') {
        const map = o.noise[i];
        if (!map || map.length !== N * s * s) throw new Error(`noise map ${i} (${s}×${s}): needs ${N * s * s} values for ${N} images, got ${map?.length ?? 'none'}`);
        inputs[`noise${i}`] = map;
      }
    }
    const noise = o.noise !== 'zeros';
    const key = `synth|${step}|${fade}|${N}|${o.mix?.range.join('-')}|${psi}|${noise}`;
    const { program } = this.compiled(key, (g) => this.synthesis(g, { step, N, fade, mixRange: o.mix?.range, psi, noise }));
    return this.runToArray(program, inputs, [N, 3, o.size, o.size]);
  }

  /** synthesize() as 8-bit RGBA images: byte = round((clamp(x, −1, 1) + 1)/2 · 255), as upstream saves them. */
  async images(o: SynthesisOptions): Promise<RgbaImage[]> {
    const out = await this.synthesize(o);
    const plane = 3 * o.size * o.size;
    return [...Array(out.length / plane).keys()].map((n) => toImage(out.subarray(n * plane, (n + 1) * plane), o.size));
  }

  release(): void {
    for (const { constant } of this.programs.values()) constant?.release();
    this.programs.clear();
    const free = (...ts: Tensor[]) => ts.forEach((t) => t.release());
    for (const l of this.mappingLayers) free(l.conv, l.weight, l.bias);
    for (const b of this.blocks) {
      const convs = [b.conv2, b.toRgb, ...(b.conv1 ? [b.conv1] : [])];
      free(...convs.flatMap((c) => [c.weight, c.bias]), ...b.noise);
      for (const { gamma, beta } of b.adain) free(gamma.weight, gamma.bias, beta.weight, beta.bias);
    }
  }

  // ---- graph construction

  private batchOf(latents: Float32Array, what: string): number {
    const N = latents.length / this.codeDim;
    if (!Number.isInteger(N) || N < 1) throw new Error(`${what}: ${latents.length} values is not a whole number of ${this.codeDim}-dimensional rows`);
    return N;
  }

  private compiled(key: string, build: (g: Graph) => { outputs: Node[]; constant?: Tensor }): { program: Program; constant?: Tensor } {
    let entry = this.programs.get(key);
    if (!entry) {
      const { outputs, constant } = build(new Graph());
      entry = { program: new Program(outputs, { fusion: this.fusion }), constant };
      this.programs.set(key, entry);
    }
    return entry;
  }

  private async runToArray(program: Program, data: Record<string, Float32Array>, outShape: number[]): Promise<Float32Array> {
    const e = this.engine;
    const inputs = Object.fromEntries(
      program.inputs.map((n) => {
        if (!data[n.name!]) throw new Error(`StyledGenerator: no data for program input '${n.name}'`);
        return [n.name!, e.tensor(n.shape, data[n.name!])];
      }),
    );
    const [out] = program.run(e, inputs);
    Object.values(inputs).forEach((t) => t.release());
    if (out.shape.join() !== outShape.join()) throw new Error(`StyledGenerator: program made ${fmtShape([...out.shape])}, expected ${fmtShape(outShape)}`);
    const values = await out.read();
    out.release();
    return values;
  }

  private mapping(z: Node): Node {
    const g = z.graph;
    return this.mappingLayers.reduce(
      (x, l, k) => leakyRelu(sg.equalLinear(x, g.constant(`style.${2 * k + 1}.weight`, l.weight), g.constant(`style.${2 * k + 1}.bias`, l.bias)), SLOPE),
      sg.pixelNorm(z),
    );
  }

  /** The mapping network on latents as the pixels of z [1, D, H, W]: pixel norm over the channels (= the latent's
   *  entries), each linear layer a 1×1 convolution. */
  private mappingOfColumns(z: Node): Node {
    const g = z.graph;
    return this.mappingLayers.reduce(
      (x, l, k) => leakyRelu(conv2d(x, g.constant(`style.${2 * k + 1}.conv`, l.conv), g.constant(`style.${2 * k + 1}.bias`, l.bias)), SLOPE),
      sg.pixelNorm(z),
    );
  }

  /** Without noise (o.noise false) the noise injections are left out: x + w·0 = x exactly for finite w. */
  private synthesis(g: Graph, o: { step: number; N: number; fade?: number; mixRange?: readonly [number, number]; psi?: number; noise: boolean }): { outputs: Node[]; constant: Tensor } {
    const D = this.codeDim;
    const mean = o.psi === undefined ? undefined : g.input('meanStyle', [o.N, D]);
    // mean + ψ·(w − mean), as ψ·w + (1 − ψ)·mean.
    const truncate = (w: Node) => (mean && o.psi !== undefined ? add(scale(w, o.psi), scale(mean, 1 - o.psi)) : w);
    const w1 = truncate(this.mapping(g.input('z', [o.N, D])));
    const w2 = o.mixRange ? truncate(this.mapping(g.input('z2', [o.N, D]))) : w1;
    const c = (t: Tensor, name: string) => g.constant(name, t);
    const lin = (x: Node, l: Linear, name: string) => sg.equalLinear(x, c(l.weight, `${name}.weight`), c(l.bias, `${name}.bias`));

    // ConstantInput repeats the learned [1, C, 4, 4] over the batch: uploaded once per batch size.
    const first = this.blocks[0].constant!;
    const repeated = new Float32Array(o.N * first.length);
    for (let n = 0; n < o.N; n++) repeated.set(first, n * first.length);
    const constant = this.engine.tensor([o.N, this.architecture.channels[0], 4, 4], repeated);

    let x = c(constant, 'progression.0.constant');
    let previous = x;
    for (let i = 0; i <= o.step; i++) {
      const b = this.blocks[i];
      const name = `progression.${i}`;
      const w = o.mixRange && o.mixRange[0] <= i && i <= o.mixRange[1] ? w2 : w1;
      const noise = o.noise ? g.input(`noise${i}`, [o.N, 1, 4 * 2 ** i, 4 * 2 ** i]) : undefined;
      previous = x;
      if (b.conv1) {
        const conv1 = b.conv1;
        const up = conv1.fused
          ? convTranspose2d(x, c(conv1.weight, `${name}.conv1.weight`), c(conv1.bias, `${name}.conv1.bias`), torchConvTranspose2d(x.shape[2], x.shape[3], 4, 4, 2, 1))
          : conv2d(upsampleNearest2x(x), c(conv1.weight, `${name}.conv1.weight`), c(conv1.bias, `${name}.conv1.bias`), { padding: 1 });
        x = sg.blur3x3(up);
      }
      for (const j of [0, 1] as const) {
        if (j === 1) x = conv2d(x, c(b.conv2.weight, `${name}.conv2.weight`), c(b.conv2.bias, `${name}.conv2.bias`), { padding: 1 });
        if (noise) x = sg.noiseInjection(x, c(b.noise[j], `${name}.noise${j + 1}`), noise);
        x = leakyRelu(x, SLOPE);
        const { gamma, beta } = b.adain[j];
        x = sg.styleModulatedNorm(x, lin(w, gamma, `${name}.adain${j + 1}.gamma`), lin(w, beta, `${name}.adain${j + 1}.beta`));
      }
    }
    const toRgb = (t: Node, i: number) => conv2d(t, c(this.blocks[i].toRgb.weight, `to_rgb.${i}.weight`), c(this.blocks[i].toRgb.bias, `to_rgb.${i}.bias`));
    let rgb = toRgb(x, o.step);
    if (o.fade !== undefined) {
      const skip = upsampleNearest2x(toRgb(previous, o.step - 1));
      rgb = add(scale(skip, 1 - o.fade), scale(rgb, o.fade));
    }
    return { outputs: [rgb], constant };
  }
}

/** Planar [3, S, S] floats → RGBA bytes, round((clamp(x, −1, 1) + 1)/2 · 255). */
export function toImage(planes: Float32Array, size: number): RgbaImage {
  return planesToImage(planes, size, size, 2 / 255, [-1, -1, -1]);
}

function scaled(data: Float32Array, m: number): Float32Array {
  return Float32Array.from(data, (v) => v * m);
}

/** FusedUpsample's effective kernel: weight_orig [Cin, Cout, 3, 3] · multiplier, zero-padded to 5×5, and the
 *  mean of its four 4×4 windows at offsets (0|1, 0|1): [Cin, Cout, 4, 4]. */
export function fusedUpsampleKernel(w: Float32Array, shape: readonly number[], multiplier: number): Float32Array {
  const [Cin, Cout, K] = shape;
  const out = new Float32Array(Cin * Cout * (K + 1) * (K + 1));
  const tap = (base: number, r: number, c: number) => (r >= 0 && r < K && c >= 0 && c < K ? Math.fround(w[base + r * K + c] * multiplier) : 0);
  for (let pair = 0; pair < Cin * Cout; pair++) {
    const base = pair * K * K;
    for (let r = 0; r <= K; r++) {
      for (let c = 0; c <= K; c++) {
        const sum = tap(base, r, c) + tap(base, r - 1, c) + tap(base, r, c - 1) + tap(base, r - 1, c - 1);
        out[pair * (K + 1) * (K + 1) + r * (K + 1) + c] = sum / 4;
      }
    }
  }
  return out;
}

/** Widths and block kinds from the keys and shapes: blocks while `progression.i.conv2` exists (its width from that
 *  conv), fused where `conv1.0.weight` (FusedUpsample) replaces `conv1.1.conv` (nearest + EqualConv2d). */
function readArchitecture(set: WeightSet, prefix: string): StyleGanArchitecture {
  const names = new Set(set.names());
  let mappingLayers = 0;
  while (names.has(`${prefix}style.${2 * mappingLayers + 1}.linear.weight_orig`)) mappingLayers++;
  const conv2 = (i: number) => `${prefix}generator.progression.${i}.conv2.conv.weight_orig`;
  if (!names.has(conv2(0))) throw new Error(`${conv2(0)}: no such tensor in ${set.description}: the checkpoint has no synthesis network`);
  const channels: number[] = [];
  const fused: boolean[] = [];
  for (let i = 0; names.has(conv2(i)); i++) {
    channels.push(set.shape(conv2(i))[0]);
    fused.push(names.has(`${prefix}generator.progression.${i}.conv1.0.weight`));
  }
  return { codeDim: set.shape(`${prefix}style.1.linear.weight_orig`)[1], mappingLayers, channels, fused };
}
