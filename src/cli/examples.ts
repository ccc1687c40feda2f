// The README's main job: Gatys style transfer on the bundled images in examples/, at a CPU-friendly size,
// with the VGG19 layers up to relu3_x (all the shared development mirror holds).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gatys } from '../models/gatys.ts';
import { Vgg19, vggWeights } from '../models/vgg19.ts';
import { readImageFile, writePngFile } from '../node/files.ts';
import { Engine, fmtBytes } from '../runtime/engine.ts';
import { loadWeights } from '../weights/index.ts';
import { type Command, parseNumber } from './command.ts';
import { progressBar } from './progress.ts';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** content × style pairs; the greyscale textures keep the photo's colours. */
const PAIRS = [
  { content: 'chelsea', style: 'starry_night', originalColors: false },
  { content: 'astronaut', style: 'starry_night', originalColors: false },
  { content: 'coffee', style: 'brick', originalColors: true },
  { content: 'rocket', style: 'gravel', originalColors: true },
];
const LAYERS = { contentLayers: ['relu3_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'] };

export const examples: Command = {
  name: 'examples',
  summary: 'Gatys style transfer on the bundled images in examples/ (writes --out, default out/)',
  usage: `stylegpu examples [--out DIR] [--image-size N] [--iterations N] [--weights ID|PATH|DIR|URL] [--no-fusion]

Runs ${PAIRS.map((p) => `${p.content}×${p.style}`).join(', ')} with content layer ${LAYERS.contentLayers} and style
layers ${LAYERS.styleLayers.join(', ')} (default 96 px, 50 L-BFGS iterations). Weights: vgg19-tfjs, downloaded
once into the cache, or read from $STYLEGPU_WEIGHTS_MIRROR.`,
  async run(args) {
    const { values: v } = parseArgs({ args, options: { out: { type: 'string', default: 'out' }, 'image-size': { type: 'string' }, iterations: { type: 'string' }, weights: { type: 'string' }, 'no-fusion': { type: 'boolean' } } });
    const imageSize = parseNumber(v['image-size'], '--image-size', 96, { integer: true, min: 1 });
    const iterations = parseNumber(v.iterations, '--iterations', 50, { integer: true, min: 1 });
    const engine = await Engine.create();
    console.log(`adapter: ${engine.describe()}`);
    try {
      const vgg = await Vgg19.load(engine, vggWeights(await loadWeights(v.weights ?? 'vgg19-tfjs')), 'relu3_2');
      for (const pair of PAIRS) {
        const t0 = performance.now();
        const content = await readImageFile(join(PACKAGE_ROOT, 'examples', 'content', `${pair.content}.png`));
        const style = await readImageFile(join(PACKAGE_ROOT, 'examples', 'style', `${pair.style}.png`));
        const bar = progressBar(`${pair.content} × ${pair.style}`, iterations, { stream: process.stdout, every: iterations });
        const r = await gatys(engine, vgg, content, [style], { imageSize, iterations, originalColors: pair.originalColors, ...LAYERS, fusion: !v['no-fusion'], onIteration: ({ iteration, loss }) => bar.update(iteration, { loss }) });
        bar.done();
        const output = join(v.out!, `${pair.content}-${pair.style}.png`);
        await writePngFile(output, r.image);
        console.log(`→ ${output} (${r.image.width}×${r.image.height}): loss ${r.initialLoss.toExponential(3)} → ${r.finalLoss.toExponential(3)}, ${((performance.now() - t0) / 1000).toFixed(1)} s, peak ${fmtBytes(r.peakBytes)}`);
      }
      vgg.release();
    } finally {
      await engine.destroy();
    }
    console.log(`wrote ${PAIRS.length} images to ${v.out}/`);
    return 0;
  },
};
