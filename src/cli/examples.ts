// The README's main job: the engine on the bundled images in examples/.
import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readImageFile, writePngFile } from '../node/files.ts';
import { Engine } from '../runtime/engine.ts';
import { negativeImage } from '../smoke.ts';
import type { Command } from './command.ts';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const examples: Command = {
  name: 'examples',
  summary: 'run the main job on the bundled images in examples/ (writes --out, default out/)',
  usage: 'stylegpu examples [--out DIR]',
  async run(args) {
    const { values } = parseArgs({ args, options: { out: { type: 'string', default: 'out' } } });
    const dir = join(PACKAGE_ROOT, 'examples', 'content');
    const files = (await readdir(dir)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
    const engine = await Engine.create();
    console.log(`adapter: ${engine.describe()}`);
    try {
      for (const f of files) {
        const t0 = performance.now();
        const input = join(dir, f);
        const output = join(values.out!, `${basename(f, extname(f))}-negative.png`);
        const img = await readImageFile(input);
        const { image, meanBrightness } = await negativeImage(engine, img);
        await writePngFile(output, image);
        console.log(`${input} (${img.width}×${img.height}, mean brightness ${meanBrightness.toFixed(3)}) → ${output} in ${(performance.now() - t0).toFixed(0)} ms`);
      }
    } finally {
      await engine.destroy();
    }
    console.log(`wrote ${files.length} images to ${values.out}/`);
    return 0;
  },
};
