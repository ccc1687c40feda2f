// `stylegpu gatys`: neural-style's options on our engine.
import { createWriteStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { type GatysOptions, GATYS_DEFAULTS, deepestLayer, gatys } from '../models/gatys.ts';
import { Vgg19, vggWeights } from '../models/vgg19.ts';
import { readImageFile, writePngFile } from '../node/files.ts';
import { Engine, fmtBytes } from '../runtime/engine.ts';
import { formatKernelTimes } from '../runtime/profiler.ts';
import { type DownloadProgress, loadWeights } from '../weights/index.ts';
import { type Command, UsageError, parseList, parseNumber, requireOption } from './command.ts';
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
  --no-fusion                 switch the graph's fusion pass off (for comparison)
  --profile                   print GPU time per kernel over the run (timestamp queries) at the end

Ctrl-C stops early and still writes the image reached so far.`;

export const gatysCommand: Command = {
  name: 'gatys',
  summary: 'Gatys et al. style transfer: optimise an image with VGG19 losses and L-BFGS',
  usage: USAGE,
  async run(args) {
    const { values: v } = parseArgs({
      args,
      options: {
        content: { type: 'string' }, style: { type: 'string' }, output: { type: 'string' },
        'style-blend-weights': { type: 'string' }, 'image-size': { type: 'string' }, 'style-scale': { type: 'string' },
        iterations: { type: 'string' }, optimizer: { type: 'string' }, 'learning-rate': { type: 'string' },
        'lbfgs-history': { type: 'string' }, 'line-search': { type: 'string' }, 'content-weight': { type: 'string' }, 'style-weight': { type: 'string' },
        'tv-weight': { type: 'string' }, init: { type: 'string' }, seed: { type: 'string' },
        'original-colors': { type: 'boolean' }, pooling: { type: 'string' }, 'content-layers': { type: 'string' },
        'style-layers': { type: 'string' }, weights: { type: 'string' }, 'print-every': { type: 'string' },
        'save-every': { type: 'string' }, 'log-json': { type: 'string' }, 'no-fusion': { type: 'boolean' },
        profile: { type: 'boolean' },
      },
    });
    const contentPath = requireOption(v.content, '--content', 'gatys');
    const stylePaths = parseList(requireOption(v.style, '--style', 'gatys'));
    const output = requireOption(v.output, '--output', 'gatys');
    const optimizer = v.optimizer ?? 'lbfgs';
    const lineSearch = v['line-search'] ?? 'none';
    if (lineSearch !== 'none' && lineSearch !== 'strong_wolfe') throw new UsageError(`--line-search: none or strong_wolfe, got '${lineSearch}'`);
    if (optimizer !== 'lbfgs' && optimizer !== 'adam') throw new UsageError(`--optimizer: lbfgs or adam, got '${optimizer}'`);
    const pooling = v.pooling ?? 'max';
    if (pooling !== 'max' && pooling !== 'avg') throw new UsageError(`--pooling: max or avg, got '${pooling}'`);
    const blend = parseList(v['style-blend-weights']).map((w) => parseNumber(w, '--style-blend-weights', 1, { min: 0 }));
    const printEvery = parseNumber(v['print-every'], '--print-every', 0, { integer: true, min: 0 });
    const saveEvery = parseNumber(v['save-every'], '--save-every', 0, { integer: true, min: 0 });
    const options: GatysOptions = {
      imageSize: parseNumber(v['image-size'], '--image-size', GATYS_DEFAULTS.imageSize, { integer: true, min: 1 }),
      styleScale: parseNumber(v['style-scale'], '--style-scale', 1, { min: 0 }),
      styleBlendWeights: blend.length ? blend : undefined,
      iterations: parseNumber(v.iterations, '--iterations', GATYS_DEFAULTS.iterations, { integer: true, min: 1 }),
      optimizer,
      learningRate: v['learning-rate'] === undefined ? undefined : parseNumber(v['learning-rate'], '--learning-rate', 1, { min: 0 }),
      lbfgsHistory: parseNumber(v['lbfgs-history'], '--lbfgs-history', 100, { integer: true, min: 1 }),
      lineSearch,
      contentWeight: parseNumber(v['content-weight'], '--content-weight', GATYS_DEFAULTS.contentWeight),
      styleWeight: parseNumber(v['style-weight'], '--style-weight', GATYS_DEFAULTS.styleWeight),
      tvWeight: parseNumber(v['tv-weight'], '--tv-weight', GATYS_DEFAULTS.tvWeight),
      seed: parseNumber(v.seed, '--seed', 0, { integer: true }),
      originalColors: !!v['original-colors'],
      pooling,
      contentLayers: v['content-layers'] ? parseList(v['content-layers']) : GATYS_DEFAULTS.contentLayers,
      styleLayers: v['style-layers'] ? parseList(v['style-layers']) : GATYS_DEFAULTS.styleLayers,
      fusion: !v['no-fusion'],
    };
    const init = v.init ?? 'random';
    options.init = init === 'random' || init === 'content' ? init : await readImageFile(init);

    const content = await readImageFile(contentPath);
    const styles = await Promise.all(stylePaths.map(readImageFile));
    const engine = await Engine.create();
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    const log = options.iterations! > 0 && v['log-json'] ? createWriteStream(v['log-json']) : undefined;
    try {
      console.error(`adapter: ${engine.describe()}`);
      const deepest = deepestLayer([...options.contentLayers!, ...options.styleLayers!]);
      const vgg = await Vgg19.load(engine, vggWeights(await loadWeights(v.weights ?? 'vgg19-tfjs', { onProgress: downloadProgress() })), deepest);
      const bar = progressBar('gatys', options.iterations!, { every: printEvery || 50 });
      if (v.profile) engine.startProfiling();
      const result = await gatys(engine, vgg, content, styles, {
        ...options,
        signal: abort.signal,
        onEvaluation: log || printEvery
          ? (ev) => {
              log?.write(`${JSON.stringify({ iteration: ev.evaluation, total: ev.total, content: ev.content, style: ev.style, tv: ev.tv })}\n`);
              if (printEvery && ev.evaluation % printEvery === 0) {
                console.error(`\nevaluation ${ev.evaluation}: total ${ev.total.toExponential(4)}  content ${ev.content.toExponential(4)}  style ${ev.style.toExponential(4)}  tv ${ev.tv.toExponential(4)}`);
              }
            }
          : undefined,
        onIteration: async ({ iteration, loss, image }) => {
          bar.update(iteration, { loss });
          if (saveEvery && iteration % saveEvery === 0 && iteration < options.iterations! && image) {
            const path = `${output.slice(0, output.length - extname(output).length)}_${iteration}.png`;
            await writePngFile(path, await image());
          }
        },
      });
      bar.done();
      if (v.profile) console.error(`GPU time per kernel (on CPU adapters a kernel's first dispatch may include compiling it):\n${formatKernelTimes(await engine.stopProfiling())}`);
      await writePngFile(output, result.image);
      vgg.release();
      console.log(
        `${result.aborted ? 'interrupted: ' : ''}wrote ${output} (${result.image.width}×${result.image.height}) after ${result.iterations} iterations, ` +
          `${result.evaluations} evaluations; loss ${result.initialLoss.toExponential(4)} → ${result.finalLoss.toExponential(4)}; ` +
          `peak ${fmtBytes(result.peakBytes)} of activations, ${result.dispatchesPerEvaluation} dispatches per evaluation, ${result.readbackBytes} bytes read back`,
      );
      return result.aborted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      log?.end();
      await engine.destroy();
    }
  },
};

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
