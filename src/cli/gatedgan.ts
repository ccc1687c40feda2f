// `stylegpu gatedgan`: one image through a Gated GAN generator, its styles mixed by a label (src/models/gatedGan.ts).
import { parseArgs } from 'node:util';
import { GatedGanGenerator } from '../models/gatedGan.ts';
import { readImageFile, writePngFile } from '../node/files.ts';
import { Engine } from '../runtime/engine.ts';
import { type Command, UsageError, parseList, parseNumber, requireOption } from './command.ts';

export const gatedgan: Command = {
  name: 'gatedgan',
  summary: 'stylize an image with a Gated GAN generator (several styles in one network, mixed by weights)',
  usage: `stylegpu gatedgan --checkpoint PATH --content PATH --output PATH --style-weights W0,W1,… [--image-size N] [--no-fusion]

  --checkpoint     the generator's state dict as saved by colemiller94/gatedgan (torch.save .pth, or the same
                   tensors as .safetensors); a path or URL
  --content        the image to stylize (PNG or JPEG)
  --output         where to write the result (PNG)
  --style-weights  the style label: one weight per style branch, in the checkpoint's order, then one for the
                   identity (auto-encoder) branch, which is always LAST. Upstream's 4-style model
                   (photo2fourcollection) orders them cezanne, monet, ukiyoe, vangogh, identity: 0,0,0,1,0 is van
                   Gogh, 0,0,0,0.5,0.5 half of it. The network computes Σ w_i · branch_i(features) with the weights
                   as given (not normalised), as upstream does.
  --image-size     first resize the content (bilinear, on the GPU) so its longest side is N pixels
  --no-fusion      switch the graph's fusion rewrites off (for comparison)

Input pixels are mapped to [-1, 1] and the tanh output back by 127.5·(y + 1), as upstream. An H×W input gives
a 4⌈H/4⌉ × 4⌈W/4⌉ output: the same size for multiples of 4, otherwise up to 3 pixels larger.`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        checkpoint: { type: 'string' }, content: { type: 'string' }, output: { type: 'string' },
        'style-weights': { type: 'string' }, 'image-size': { type: 'string' }, 'no-fusion': { type: 'boolean' },
      },
    });
    const checkpoint = requireOption(values.checkpoint, '--checkpoint', 'gatedgan');
    const content = requireOption(values.content, '--content', 'gatedgan');
    const output = requireOption(values.output, '--output', 'gatedgan');
    const weights = parseList(requireOption(values['style-weights'], '--style-weights', 'gatedgan')).map((w) => parseNumber(w, '--style-weights', 0));
    const longestSide = values['image-size'] === undefined ? undefined : parseNumber(values['image-size'], '--image-size', 0, { integer: true, min: 1 });
    const img = await readImageFile(content);
    const engine = await Engine.create();
    try {
      const t0 = performance.now();
      const gen = await GatedGanGenerator.load(engine, checkpoint, { fusion: !values['no-fusion'] });
      if (weights.length !== gen.styles + 1) {
        throw new UsageError(`--style-weights: ${checkpoint} has ${gen.styles} styles; give ${gen.styles + 1} weights (the last is the identity branch), got ${weights.length}`);
      }
      const t1 = performance.now();
      const out = await gen.stylize(img, weights, { longestSide });
      await writePngFile(output, out);
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.log(`${content} (${img.width}×${img.height}) → ${output} (${out.width}×${out.height}), weights [${weights.join(', ')}]; load ${s(t1 - t0)}, run ${s(performance.now() - t1)}`);
      gen.release();
    } finally {
      await engine.destroy();
    }
    return 0;
  },
};
