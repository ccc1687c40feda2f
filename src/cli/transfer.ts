// `stylegpu transfer`: one image through a pretrained feed-forward style network (src/models/fastStyle.ts).
import { existsSync } from 'node:fs';
import { loadFastStyle } from '../models/fastStyle.ts';
import { checkOutputPath, readImageFile, writePngFile } from '../node/files.ts';
import { checkFastStyle, checkFastStyleOptions, flagNames } from '../options.ts';
import { Engine } from '../runtime/engine.ts';
import { ML5_STYLES, findModel } from '../weights/index.ts';
import { type Command, UsageError, parseCommandArgs, parseNumber, requireOption } from './command.ts';
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
  --image-size  first shrink the content (on the CPU while decoding) or enlarge it (bilinear, on the GPU) so
                its longest side is N pixels
  --no-fusion   switch the graph's fusion rewrites off (for comparison)

The network's output is 4⌈H/4⌉ × 4⌈W/4⌉ for an H×W input, as in TensorFlow and ml5: the input's size when
both sides are multiples of 4, otherwise up to 3 pixels larger.`,
  async run(args, interrupt) {
    const { values } = parseCommandArgs(args, { model: { type: 'string' }, content: { type: 'string' }, output: { type: 'string' }, 'image-size': { type: 'string' }, 'no-fusion': { type: 'boolean' } });
    const model = requireOption(values.model, '--model');
    const content = requireOption(values.content, '--content');
    const output = requireOption(values.output, '--output');
    const longestSide = parseNumber(values['image-size'], '--image-size');
    const names = flagNames({ longestSide: '--image-size' });
    checkFastStyleOptions({ longestSide }, names);
    if (!(ML5_STYLES as readonly string[]).includes(model) && !findModel(model) && !/^https?:\/\//.test(model) && !existsSync(model)) {
      throw new UsageError(`--model: '${model}' is neither a style (${ML5_STYLES.join(', ')}) nor an existing folder or URL`);
    }
    checkOutputPath('--output', output, [content]);
    const img = await readImageFile(content, longestSide);
    checkFastStyle(img, { longestSide }, names);
    const engine = await Engine.create();
    try {
      const t0 = performance.now();
      const net = await loadFastStyle(engine, model, { fusion: !values['no-fusion'] });
      const t1 = performance.now();
      const bar = progressBar('transfer', 16, { every: 4 });
      const out = await net.stylize(img, { longestSide, signal: interrupt, onProgress: (done) => bar.update(done) });
      bar.done();
      net.release();
      interrupt.throwIfAborted();
      await writePngFile(output, out);
      const ms = (t: number) => `${(t / 1000).toFixed(2)} s`;
      console.log(`${content} (${img.width}×${img.height}) → ${output} (${out.width}×${out.height}) with ${net.description}; load ${ms(t1 - t0)}, run ${ms(performance.now() - t1)}`);
    } finally {
      await engine.destroy();
    }
    return 0;
  },
};
