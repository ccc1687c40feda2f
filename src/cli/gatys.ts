// `stylegpu gatys`: neural-style's options on our engine.
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { fitLongestSide } from '../image/io.ts';
import { type GatysOptions, type GatysResult, GATYS_DEFAULTS, deepestLayer, gatys } from '../models/gatys.ts';
import { Vgg19, vggWeights } from '../models/vgg19.ts';
import { AtomicTextFile, checkOutputPath, readImageFile, writePngFile } from '../node/files.ts';
import { OptionError, checkGatys, checkGatysOptions, flagNames } from '../options.ts';
import { Engine, fmtBytes } from '../runtime/engine.ts';
import { formatKernelTimes, KernelProfiler } from '../runtime/profiler.ts';
import { type DownloadProgress, loadWeights } from '../weights/index.ts';
import { type Command, parseCommandArgs, parseList, parseNumber, parseNumberList, requireOption } from './command.ts';
import { progressBar } from './progress.ts';

const USAGE = `stylegpu gatys — Gatys et al. (CVPR 2016) style transfer with VGG19 and L-BFGS

  --content PATH              content image (PNG or JPEG)
  --style PATH[,PATH…]        style image(s)
  --output PATH               result (PNG)
  --style-blend-weights W,…   one per style image (default equal)
  --image-size N              longest side of the result (default ${GATYS_DEFAULTS.imageSize})
  --style-scale S             style images at N·S (default 1)
  --iterations N              (default ${GATYS_DEFAULTS.iterations})
  --optimizer lbfgs|adam      (default lbfgs)
  --learning-rate LR          (default 1 for lbfgs, 10 for adam)
  --lbfgs-history M           (default 100)
  --line-search none|strong_wolfe
                              L-BFGS step: fixed (default, as neural-style) or torch's strong-Wolfe search
  --content-weight W          (default ${GATYS_DEFAULTS.contentWeight})
  --style-weight W            (default ${GATYS_DEFAULTS.styleWeight})
  --tv-weight W               (default ${GATYS_DEFAULTS.tvWeight})
  --init random|content|PATH  (default random: randn·0.001 in the network's input space)
  --seed N                    (default 0)
  --original-colors           keep the content's colours (luminance-only transfer)
  --pooling max|avg           (default max)
  --content-layers L,…        (default ${GATYS_DEFAULTS.contentLayers.join(',')})
  --style-layers L,…          (default ${GATYS_DEFAULTS.styleLayers.join(',')})
  --weights ID|PATH|DIR|URL   VGG19 weights (default vgg19-tfjs: downloaded once into the cache,
                              or read from $STYLEGPU_WEIGHTS_MIRROR); torchvision .pth/.safetensors also work
  --print-every N             print the loss terms every N iterations (0: never)
  --save-every N              write the image every N iterations (OUTPUT_<iteration>.png)
  --log-json FILE             one JSON line per function evaluation: {"iteration","total","content","style","tv"}
  --no-fusion                 switch the graph's fusion pass and L-BFGS's fused kernels off (for comparison)
  --profile                   print GPU time per kernel over the run (timestamp queries) at the end

Ctrl-C stops at the end of the current iteration and writes the image reached so far (exit 130); before the
first iteration it writes nothing. Every file is written to a temporary name and renamed, so an existing
--output is never left half-written or blank.`;

export const gatysCommand: Command = {
  name: 'gatys',
  summary: 'Gatys et al. style transfer: optimise an image with VGG19 losses and L-BFGS',
  usage: USAGE,
  async run(args, interrupt) {
    const { values: v } = parseCommandArgs(args, {
      content: { type: 'string' }, style: { type: 'string' }, output: { type: 'string' },
      'style-blend-weights': { type: 'string' }, 'image-size': { type: 'string' }, 'style-scale': { type: 'string' },
      iterations: { type: 'string' }, optimizer: { type: 'string' }, 'learning-rate': { type: 'string' },
      'lbfgs-history': { type: 'string' }, 'line-search': { type: 'string' }, 'content-weight': { type: 'string' }, 'style-weight': { type: 'string' },
      'tv-weight': { type: 'string' }, init: { type: 'string' }, seed: { type: 'string' },
      'original-colors': { type: 'boolean' }, pooling: { type: 'string' }, 'content-layers': { type: 'string' },
      'style-layers': { type: 'string' }, weights: { type: 'string' }, 'print-every': { type: 'string' },
      'save-every': { type: 'string' }, 'log-json': { type: 'string' }, 'no-fusion': { type: 'boolean' },
      profile: { type: 'boolean' },
    });
    const contentPath = requireOption(v.content, '--content');
    const stylePaths = parseList(requireOption(v.style, '--style'));
    const output = requireOption(v.output, '--output');
    const printEvery = parseNumber(v['print-every'], '--print-every', { integer: true, min: 0 }) ?? 0;
    const saveEvery = parseNumber(v['save-every'], '--save-every', { integer: true, min: 0 }) ?? 0;
    const init = v.init ?? 'random';
    const options = {
      imageSize: parseNumber(v['image-size'], '--image-size') ?? GATYS_DEFAULTS.imageSize,
      styleScale: parseNumber(v['style-scale'], '--style-scale') ?? GATYS_DEFAULTS.styleScale,
      styleBlendWeights: parseNumberList(v['style-blend-weights'], '--style-blend-weights'),
      iterations: parseNumber(v.iterations, '--iterations') ?? GATYS_DEFAULTS.iterations,
      optimizer: (v.optimizer ?? 'lbfgs') as GatysOptions['optimizer'],
      learningRate: parseNumber(v['learning-rate'], '--learning-rate'),
      lbfgsHistory: parseNumber(v['lbfgs-history'], '--lbfgs-history') ?? 100,
      lineSearch: (v['line-search'] ?? 'none') as GatysOptions['lineSearch'],
      contentWeight: parseNumber(v['content-weight'], '--content-weight') ?? GATYS_DEFAULTS.contentWeight,
      styleWeight: parseNumber(v['style-weight'], '--style-weight') ?? GATYS_DEFAULTS.styleWeight,
      tvWeight: parseNumber(v['tv-weight'], '--tv-weight') ?? GATYS_DEFAULTS.tvWeight,
      seed: parseNumber(v.seed, '--seed') ?? 0,
      originalColors: !!v['original-colors'],
      pooling: (v.pooling ?? 'max') as GatysOptions['pooling'],
      contentLayers: v['content-layers'] ? parseList(v['content-layers']) : GATYS_DEFAULTS.contentLayers,
      styleLayers: v['style-layers'] ? parseList(v['style-layers']) : GATYS_DEFAULTS.styleLayers,
      fusion: !v['no-fusion'],
    };
    // Everything that can be checked before reading a file: the options, then every output path.
    const names = flagNames();
    checkGatysOptions({ ...options, init: init === 'random' || init === 'content' ? init : undefined }, names);
    if (init !== 'random' && init !== 'content' && !existsSync(init)) throw new OptionError('--init', init, 'random, content or an image file', 'no such file');
    const inputs = [contentPath, ...stylePaths, ...(init === 'random' || init === 'content' ? [] : [init])];
    checkOutputPath('--output', output, inputs);
    if (v['log-json']) checkOutputPath('--log-json', v['log-json'], [...inputs, output]);
    // --save-every writes OUTPUT_<iteration>.png beside --output: the folder checked above.

    // Images are shrunk on the CPU to the sizes the run uses before they become float32.
    const content = await readImageFile(contentPath, options.imageSize);
    const styles = await Promise.all(stylePaths.map((p) => readImageFile(p, Math.max(1, Math.round(options.imageSize * options.styleScale)))));
    const [H, W] = fitLongestSide(content.height, content.width, options.imageSize);
    const initImage = init === 'random' || init === 'content' ? init : await readImageFile(init, { width: W, height: H });
    checkGatys(content, styles, { ...options, init: initImage }, names);
    if (Math.max(content.height, content.width) < options.imageSize) {
      console.error(`note: ${contentPath} (${content.width}×${content.height}) is enlarged to ${W}×${H} (--image-size ${options.imageSize})`);
    }

    const engine = await Engine.create();
    const log = v['log-json'] ? new AtomicTextFile(v['log-json']) : undefined;
    let firstLoss: number | undefined;
    let lastLoss = NaN;
    try {
      console.error(`adapter: ${engine.describe()}`);
      const deepest = deepestLayer([...options.contentLayers, ...options.styleLayers]);
      const vgg = await Vgg19.load(engine, vggWeights(await loadWeights(v.weights ?? 'vgg19-tfjs', { onProgress: downloadProgress() })), deepest);
      interrupt.throwIfAborted();
      const bar = progressBar('gatys', options.iterations, { every: printEvery || 50 });
      if (v.profile) engine.startProfiling(KernelProfiler.create);
      const result = await gatys(engine, vgg, content, styles, {
        ...options,
        init: initImage,
        signal: interrupt,
        onEvaluation: log || printEvery
          ? (ev) => {
              log?.write(`${JSON.stringify({ iteration: ev.evaluation, total: ev.total, content: ev.content, style: ev.style, tv: ev.tv })}\n`);
              if (printEvery && ev.evaluation % printEvery === 0) {
                console.error(`\nevaluation ${ev.evaluation}: total ${ev.total.toExponential(4)}  content ${ev.content.toExponential(4)}  style ${ev.style.toExponential(4)}  tv ${ev.tv.toExponential(4)}`);
              }
            }
          : undefined,
        onIteration: async ({ iteration, loss, image }) => {
          firstLoss ??= loss;
          lastLoss = loss;
          bar.update(iteration, { loss });
          if (saveEvery && iteration % saveEvery === 0 && iteration < options.iterations && image) {
            const path = `${output.slice(0, output.length - extname(output).length)}_${iteration}.png`;
            await writePngFile(path, await image());
          }
        },
      });
      bar.done();
      vgg.release();
      if (result.aborted && result.iterations === 0) {
        console.error(`stylegpu gatys: interrupted before the first iteration: nothing written${existsSync(output) ? `, ${output} left untouched` : ''}`);
        return 130;
      }
      if (v.profile) console.error(`GPU time per kernel (on CPU adapters a kernel's first dispatch may include compiling it):\n${formatKernelTimes(await engine.stopProfiling())}`);
      await writePngFile(output, result.image);
      await log?.commit();
      console.log(summary(output, result, firstLoss, lastLoss));
      return result.aborted ? 130 : 0;
    } finally {
      await log?.discard();
      await engine.destroy();
    }
  },
};

/** One line about a finished or interrupted run, with only the figures that are known (no 'loss NaN'). */
function summary(output: string, r: GatysResult, firstLoss: number | undefined, lastLoss: number): string {
  const initial = Number.isFinite(r.initialLoss) ? r.initialLoss : firstLoss;
  const final = Number.isFinite(r.finalLoss) ? r.finalLoss : lastLoss;
  const loss = initial !== undefined && Number.isFinite(initial) && Number.isFinite(final) ? `; loss ${initial.toExponential(4)} → ${final.toExponential(4)}` : '';
  const readback = !r.aborted && r.readbackBytes > 0 ? `, ${r.readbackBytes} bytes read back` : '';
  return (
    `${r.aborted ? 'interrupted: ' : ''}wrote ${output} (${r.image.width}×${r.image.height}) after ${r.iterations} iterations, ` +
    `${r.evaluations} evaluations${loss}; peak ${fmtBytes(r.peakBytes)} of activations, ${r.dispatchesPerEvaluation} dispatches per evaluation${readback}`
  );
}

/** A download bar per weight file, only for files actually fetched. */
function downloadProgress(): (p: DownloadProgress) => void {
  const bars = new Map<string, ReturnType<typeof progressBar>>();
  return (p) => {
    let bar = bars.get(p.file);
    if (!bar) bars.set(p.file, (bar = progressBar(`download ${basename(p.file)}`, p.totalBytes ?? 0, { every: 1 << 30 })));
    bar.update(p.loadedBytes, {});
    if (p.totalBytes !== undefined && p.loadedBytes >= p.totalBytes) bar.done();
  };
}
