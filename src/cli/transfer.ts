// `stylegpu transfer`: one image through a pretrained feed-forward style network (src/models/fastStyle.ts).
import { parseArgs } from 'node:util';
import { FastStyleNet } from '../models/fastStyle.ts';
import { readImageFile, writePngFile } from '../node/files.ts';
import { Engine } from '../runtime/engine.ts';
import { ML5_STYLES } from '../weights/index.ts';
import { type Command, parseNumber, requireOption } from './command.ts';
import { progressBar } from './progress.ts';

export const transfer: Command = {
  name: 'transfer',
  summary: 'stylize an image with a pretrained feed-forward network (fast style transfer, ml5 checkpoints)',
  usage: `stylegpu transfer --model DIR|URL|NAME --content PATH --output PATH [--image-size N] [--no-fusion]

  --model       a style: ${ML5_STYLES.join(', ')}
                (downloaded from ml5's repository on first use, or read from STYLEGPU_WEIGHTS_MIRROR), or the
                folder or URL of a deeplearn.js checkpoint (manifest.json and its variable files)
  --content     the image to stylize (PNG or JPEG)
  --output      where to write the result (PNG)
  --image-size  first resize the content (bilinear, on the GPU) so its longest side is N pixels
  --no-fusion   switch the graph's fusion rewrites off (for comparison)

The network's output is 4⌈H/4⌉ × 4⌈W/4⌉ for an H×W input, as in TensorFlow and ml5: the input's size when
both sides are multiples of 4, otherwise up to 3 pixels larger.`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { model: { type: 'string' }, content: { type: 'string' }, output: { type: 'string' }, 'image-size': { type: 'string' }, 'no-fusion': { type: 'boolean' } },
    });
    const model = requireOption(values.model, '--model', 'transfer');
    const content = requireOption(values.content, '--content', 'transfer');
    const output = requireOption(values.output, '--output', 'transfer');
    const longestSide = values['image-size'] === undefined ? undefined : parseNumber(values['image-size'], '--image-size', 0, { integer: true, min: 1 });
    const img = await readImageFile(content);
    const engine = await Engine.create();
    try {
      const t0 = performance.now();
      const net = await FastStyleNet.load(engine, model, { fusion: !values['no-fusion'] });
      const t1 = performance.now();
      const bar = progressBar('transfer', 16, { every: 4 });
      const out = await net.stylize(img, { longestSide, onProgress: (done) => bar.update(done) });
      bar.done();
      await writePngFile(output, out);
      const ms = (t: number) => `${(t / 1000).toFixed(2)} s`;
      console.log(`${content} (${img.width}×${img.height}) → ${output} (${out.width}×${out.height}) with ${net.description}; load ${ms(t1 - t0)}, run ${ms(performance.now() - t1)}`);
      net.release();
    } finally {
      await engine.destroy();
    }
    return 0;
  },
};
