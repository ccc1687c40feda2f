// `stylegpu adain`: arbitrary style transfer with AdaIN (src/models/adain.ts), test.py's and test.lua's options.
import { maskFromImage } from '../image/mask.ts';
import { AdaIN } from '../models/adain.ts';
import { checkOutputPath, readImageFile, writePngFile } from '../node/files.ts';
import { checkAdain, checkAdainOptions, flagNames } from '../options.ts';
import { Engine } from '../runtime/engine.ts';
import { type Command, UsageError, parseCommandArgs, parseList, parseNumber, parseNumberList, requireOption } from './command.ts';

export const adainCommand: Command = {
  name: 'adain',
  summary: 'arbitrary style transfer with AdaIN (pytorch-AdaIN weights): any style image, one forward pass',
  usage: `stylegpu adain --vgg PATH --decoder PATH --content PATH --style PATH[,PATH…] --output PATH [options]

  --vgg PATH                    pytorch-AdaIN's models/vgg_normalised.pth (path or URL)
  --decoder PATH                its models/decoder.pth, or a decoder trained with its train.py
  --content PATH                the content image (PNG or JPEG)
  --style PATH[,PATH…]          style image(s): several are interpolated; with --mask, two: foreground, background
  --output PATH                 the result (PNG)
  --alpha A                     degree of stylisation in [0, 1]: decoder input α·AdaIN + (1 − α)·content (default 1)
  --style-interpolation-weights W,…
                                one weight per style, normalised to sum 1 (default: equal)
  --preserve-color              keep the content's colours (each style is re-coloured first, coral)
  --mask PATH                   spatial control: an image whose white (luminance ≥ 0.5) part gets the first
                                style and black part the second, each by AdaIN over its own positions (as the
                                original AdaIN-style's test.lua); any size, resized to the feature map
  --image-size N                first resize the content so its longest side is N (≥ 9; shrunk on the CPU
                                while decoding, enlarged on the GPU)
  --style-size N                the same for the style images
  --no-fusion                   switch the graph's fusion rewrites off (for comparison)

Images are RGB 0…1; the result is clipped to 0…1. An H×W content gives a 8⌈H/8⌉ × 8⌈W/8⌉ result (its size
for multiples of 8, else up to 7 pixels larger), as upstream; images need H, W ≥ 9.`,
  async run(args, interrupt) {
    const { values: v } = parseCommandArgs(args, {
      vgg: { type: 'string' }, decoder: { type: 'string' }, content: { type: 'string' }, style: { type: 'string' },
      output: { type: 'string' }, alpha: { type: 'string' }, 'style-interpolation-weights': { type: 'string' },
      'preserve-color': { type: 'boolean' }, mask: { type: 'string' }, 'image-size': { type: 'string' }, 'style-size': { type: 'string' },
      'no-fusion': { type: 'boolean' },
    });
    const vgg = requireOption(v.vgg, '--vgg');
    const decoder = requireOption(v.decoder, '--decoder');
    const content = requireOption(v.content, '--content');
    const styles = parseList(requireOption(v.style, '--style'));
    const output = requireOption(v.output, '--output');
    const longestSide = parseNumber(v['image-size'], '--image-size');
    const styleLongestSide = parseNumber(v['style-size'], '--style-size');
    const opts = {
      alpha: parseNumber(v.alpha, '--alpha'),
      weights: parseNumberList(v['style-interpolation-weights'], '--style-interpolation-weights'),
      preserveColor: !!v['preserve-color'],
      longestSide,
      styleLongestSide,
    };
    const names = flagNames({ longestSide: '--image-size', styleLongestSide: '--style-size', weights: '--style-interpolation-weights', mask: '--mask' });
    checkAdainOptions(opts, names);
    if (v.mask && styles.length !== 2) throw new UsageError(`--mask: give exactly two styles (foreground, background), got ${styles.length}`);
    if (v.mask && opts.weights) throw new UsageError('--mask and --style-interpolation-weights cannot be combined');
    checkOutputPath('--output', output, [content, ...styles, ...(v.mask ? [v.mask] : []), vgg, decoder]);
    const [contentImg, ...styleImgs] = await Promise.all([readImageFile(content, longestSide), ...styles.map((s) => readImageFile(s, styleLongestSide))]);
    const mask = v.mask ? maskFromImage(await readImageFile(v.mask, longestSide)) : undefined;
    const stylizeOptions = { ...opts, mask };
    checkAdain(contentImg, styleImgs, stylizeOptions, names);
    const engine = await Engine.create();
    try {
      const t0 = performance.now();
      const model = await AdaIN.load(engine, vgg, decoder, { fusion: !v['no-fusion'] });
      const t1 = performance.now();
      const out = await model.stylize(contentImg, styleImgs, stylizeOptions);
      model.release();
      interrupt.throwIfAborted();
      await writePngFile(output, out);
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.log(`${content} (${contentImg.width}×${contentImg.height}) + ${styles.join(', ')} → ${output} (${out.width}×${out.height}); load ${s(t1 - t0)}, run ${s(performance.now() - t1)}`);
    } finally {
      await engine.destroy();
    }
    return 0;
  },
};
