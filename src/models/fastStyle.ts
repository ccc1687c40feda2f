// Johnson et al. 2016's feed-forward style network as trained by Engstrom's fast-style-transfer (src/transform.py)
// and published by ml5 as deeplearn.js checkpoints: 48 variables `Variable`, `Variable_1` … `Variable_47`, each
// conv's filter followed by its instance norm's shift and scale. Defined once as a graph, compiled per input shape.
import { Graph, type Node, Program, add, conv2d, convTranspose2d, instanceNorm, relu, scalarAffine, tanh } from '../graph/index.ts';
import { samePadding, tfConvTranspose2dSame } from '../kernels/geometry.ts';
import type { RgbaImage } from '../image/io.ts';
import { checkFastStyle } from '../options.ts';
import type { Engine } from '../runtime/engine.ts';
import { type Tensor, shapeString } from '../runtime/tensor.ts';
import { ML5_STYLES, type SourceOptions, type WeightSet, checkShapes, loadWeights } from '../weights/index.ts';
import { ProgramCache, type ProgramChoices, fusionKey, programKey, stylizeImages, tfFilterToTorch } from './layers.ts';

export interface FastStyleLayer {
  /** Index of the filter variable; id + 1 is the instance norm's shift, id + 2 its scale. */
  id: number;
  transposed: boolean;
  kernel: number;
  inChannels: number;
  outChannels: number;
  stride: number;
  relu: boolean;
  /** The layers of a residual block: the block's input is added to the output of its 'second' layer. */
  residual?: 'first' | 'second';
}

const layer = (id: number, kernel: number, inChannels: number, outChannels: number, stride: number, opts: Partial<FastStyleLayer> = {}): FastStyleLayer => ({
  id, transposed: false, kernel, inChannels, outChannels, stride, relu: true, ...opts,
});

/** transform.py's net(): 9×9 conv, two stride-2 convs, 5 residual blocks, two stride-2 transposed convs, 9×9 conv. */
export const FAST_STYLE_LAYERS: readonly FastStyleLayer[] = [
  layer(0, 9, 3, 32, 1),
  layer(3, 3, 32, 64, 2),
  layer(6, 3, 64, 128, 2),
  ...[9, 15, 21, 27, 33].flatMap((id) => [
    layer(id, 3, 128, 128, 1, { residual: 'first' }),
    layer(id + 3, 3, 128, 128, 1, { relu: false, residual: 'second' }),
  ]),
  layer(39, 3, 128, 64, 2, { transposed: true }),
  layer(42, 3, 64, 32, 2, { transposed: true }),
  layer(45, 9, 32, 3, 1, { relu: false }),
];

/** _instance_norm's epsilon in transform.py (and ml5). */
export const FAST_STYLE_EPS = 1e-3;

export const variableName = (id: number): string => (id === 0 ? 'Variable' : `Variable_${id}`);

/** The checkpoint's variables and their TensorFlow shapes: conv filters [h, w, in, out], transposed [h, w, out, in]. */
export function fastStyleShapes(): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const l of FAST_STYLE_LAYERS) {
    const k = l.kernel;
    shapes[variableName(l.id)] = l.transposed ? [k, k, l.outChannels, l.inChannels] : [k, k, l.inChannels, l.outChannels];
    shapes[variableName(l.id + 1)] = [l.outChannels];
    shapes[variableName(l.id + 2)] = [l.outChannels];
  }
  return shapes;
}

export { tfFilterToTorch } from './layers.ts';

export interface RunOptions extends ProgramChoices {
  /** Called after each of the 16 layers has run on the GPU (the engine then waits for each layer). */
  onProgress?: (done: number, total: number) => void;
  /** Checked between layers; an abort rejects with signal.reason and frees the intermediates. */
  signal?: AbortSignal;
}

export interface StylizeOptions extends RunOptions {
  /** Resize the image first (GPU bilinear, PyTorch align_corners=False) so that its longest side has this many pixels. */
  longestSide?: number;
}

interface GpuLayer {
  spec: FastStyleLayer;
  weight: Tensor;
  shift: Tensor;
  scale: Tensor;
}

/** A style name (ML5_STYLES: 'wave', …, fetched as the known model ml5-style-transfer/<name>), a known model id,
 *  the folder/URL of a deeplearn.js checkpoint, or an opened WeightSet, as a FastStyleNet. Kept out of the class so
 *  that a page, which opens its weights itself (web/weights.ts), ships none of loadWeights' other formats. */
export async function loadFastStyle(e: Engine, from: string | WeightSet, opts: SourceOptions & ProgramChoices = {}): Promise<FastStyleNet> {
  const isStyle = typeof from === 'string' && (ML5_STYLES as readonly string[]).includes(from);
  const set = typeof from === 'string' ? await loadWeights(isStyle ? `ml5-style-transfer/${from}` : from, opts) : from;
  return FastStyleNet.load(e, set, opts);
}

/**
 * A pretrained fast style network on the engine. Input RGB 0…255; output tanh(y)·150 + 127.5 (clipped to bytes by
 * stylize). Sizes follow TensorFlow exactly, as in Engstrom's evaluate.py and ml5: the stride-2 SAME convs give
 * ⌈H/2⌉ then ⌈⌈H/2⌉/2⌉ = ⌈H/4⌉ rows and each SAME transposed conv doubles, so an H×W input gives a 4⌈H/4⌉ × 4⌈W/4⌉
 * output: the same size when H and W are multiples of 4, else up to 3 rows/columns larger (35×26 → 36×28), and
 * not cropped (ml5 returns the larger image too).
 */
export class FastStyleNet {
  /** Compiled programs by input shape and fusion choice, each with the nodes that end a layer (index by node);
   *  `programs.last` is the latest run's. */
  readonly programs = new ProgramCache<{ program: Program; layerEnds: Map<Node, number> }>();

  private constructor(
    readonly engine: Engine,
    private readonly layers: GpuLayer[],
    /** Where the weights came from. */
    readonly description: string,
    private readonly choices: ProgramChoices,
  ) {}

  /** The network with the weights of an opened checkpoint (by name or path: loadFastStyle). Errors name the
   *  offending variable. `fusion` is the default of every run. */
  static async load(e: Engine, set: WeightSet, opts: ProgramChoices = {}): Promise<FastStyleNet> {
    const shapes = fastStyleShapes();
    checkShapes(set, shapes);
    const get = async (id: number) => (await set.get(variableName(id), shapes[variableName(id)])).data;
    const loaded = await Promise.all(
      FAST_STYLE_LAYERS.map(async (spec) => {
        const [filter, shift, scale] = await Promise.all([get(spec.id), get(spec.id + 1), get(spec.id + 2)]);
        return { spec, filter, shift, scale };
      }),
    );
    const layers = loaded.map(({ spec, filter, shift, scale }) => {
      const tfShape = shapes[variableName(spec.id)];
      return {
        spec,
        weight: e.tensor([tfShape[3], tfShape[2], tfShape[0], tfShape[1]], tfFilterToTorch(filter, tfShape)),
        shift: e.tensor([spec.outChannels], shift),
        scale: e.tensor([spec.outChannels], scale),
      };
    });
    return new FastStyleNet(e, layers, set.description, { fusion: opts.fusion });
  }

  /** The network on x [N, 3, H, W] as graph nodes: the output, and each layer's last node (for progress). */
  build(x: Node): { output: Node; layerEnds: Node[] } {
    const g = x.graph;
    const layerEnds: Node[] = [];
    let h = x;
    let skip: Node | undefined;
    for (const [i, { spec, weight, shift, scale }] of this.layers.entries()) {
      if (spec.residual === 'first') skip = h;
      // conv (TensorFlow SAME, zero padding) → instance norm → ReLU where the layer has one.
      const [, , H, W] = h.shape;
      const { kernel: k, stride } = spec;
      const w = g.constant(`layer${i}.weight`, weight);
      let y: Node;
      if (spec.transposed) y = convTranspose2d(h, w, undefined, tfConvTranspose2dSame(H, W, k, k, stride));
      else {
        const { top, bottom, left, right } = samePadding(H, W, k, k, stride);
        y = conv2d(h, w, undefined, { stride, padding: { top, bottom, left, right } });
      }
      y = instanceNorm(y, { gamma: g.constant(`layer${i}.scale`, scale), beta: g.constant(`layer${i}.shift`, shift), eps: FAST_STYLE_EPS, unbiased: false });
      if (spec.relu) y = relu(y);
      if (spec.residual === 'second') y = add(skip!, y);
      layerEnds.push(y);
      h = y;
    }
    return { output: scalarAffine(tanh(h), 150, 127.5), layerEnds };
  }

  /** x [N, 3, H, W] RGB 0…255 → a new [N, 3, 4⌈H/4⌉, 4⌈W/4⌉] tensor, tanh(y)·150 + 127.5 (not clipped). x is kept. */
  async forward(x: Tensor, { onProgress, signal, fusion = this.choices.fusion }: RunOptions = {}): Promise<Tensor> {
    const e = this.engine;
    if (x.shape.length !== 4 || x.shape[1] !== 3 || x.size === 0) throw new Error(`FastStyleNet: input must be a non-empty [N, 3, H, W] RGB tensor, got ${shapeString(x.shape)}`);
    signal?.throwIfAborted();
    const { program, layerEnds } = this.programs.get(programKey([x], fusionKey(fusion)), () => {
      const g = new Graph();
      const net = this.build(g.input('x', x.shape));
      return { program: new Program([net.output], { fusion }), layerEnds: new Map(net.layerEnds.map((n, i) => [n, i])) };
    });
    const [y] = await program.runStepwise(e, { x }, {
      signal,
      // A fused step keeps the activation's node, so the layer ends are steps with fusion on or off.
      onStep: async (step) => {
        const layer = layerEnds.get(step.node);
        if (layer === undefined || !onProgress) return;
        await e.sync();
        signal?.throwIfAborted();
        onProgress(layer + 1, this.layers.length);
      },
    });
    return y;
  }

  /** An ImageData-like image (alpha ignored) → the stylized image, opaque, 4⌈H/4⌉ × 4⌈W/4⌉ of the (resized) input. */
  async stylize(image: RgbaImage, opts: StylizeOptions = {}): Promise<RgbaImage> {
    checkFastStyle(image, opts);
    return stylizeImages(this.engine, [{ image, longestSide: opts.longestSide }], { scale: 1 }, ([x]) => this.forward(x, opts));
  }

  release(): void {
    this.programs.clear();
    for (const l of this.layers) for (const t of [l.weight, l.shift, l.scale]) t.release();
  }
}
