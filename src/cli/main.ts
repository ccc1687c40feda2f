// The `stylegpu` command line.
import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeAdapter } from '../runtime/device.ts';
import { Engine, fmtBytes } from '../runtime/engine.ts';
import { readImageFile, writePngFile } from '../node/files.ts';
import { negativeImage } from '../smoke.ts';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const HELP = `stylegpu — neural style transfer on hand-written WebGPU compute shaders

Usage:
  stylegpu examples [--out DIR]              run the main job on the bundled images in examples/ (writes DIR, default out/)
  stylegpu smoke --content PATH --output PATH
                                             run the engine on one image (PNG or JPEG in, PNG out)
  stylegpu info                              describe the WebGPU adapter and its limits
  stylegpu --help

The engine runs on WebGPU: in Node through Dawn (npm "webgpu") over Vulkan. Without a GPU, install Mesa's
lavapipe driver: \`bash scripts/setup.sh\` on Debian 12.`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  async info() {
    const engine = await Engine.create();
    const { limits, features, adapterInfo } = engine.ctx;
    console.log(`adapter: ${describeAdapter(adapterInfo)}`);
    console.log(`features: ${[...features].sort().join(', ') || '(none requested)'}`);
    for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage'] as const) {
      const v = limits[name];
      console.log(`${name}: ${v}${name.endsWith('Size') ? ` (${fmtBytes(v)})` : ''}`);
    }
    await engine.destroy();
    return 0;
  },

  async smoke(args) {
    const { values } = parseArgs({ args, options: { content: { type: 'string' }, output: { type: 'string' } } });
    if (!values.content || !values.output) throw new UsageError('smoke needs --content PATH and --output PATH');
    const engine = await Engine.create();
    try {
      await smokeOne(engine, values.content, values.output);
    } finally {
      await engine.destroy();
    }
    return 0;
  },

  async examples(args) {
    const { values } = parseArgs({ args, options: { out: { type: 'string', default: 'out' } } });
    const dir = join(PACKAGE_ROOT, 'examples', 'content');
    const files = (await readdir(dir)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
    const engine = await Engine.create();
    console.log(`adapter: ${engine.describe()}`);
    try {
      for (const f of files) {
        const output = join(values.out!, `${basename(f, extname(f))}-negative.png`);
        await smokeOne(engine, join(dir, f), output);
      }
    } finally {
      await engine.destroy();
    }
    console.log(`wrote ${files.length} images to ${values.out}/`);
    return 0;
  },
};

async function smokeOne(engine: Engine, input: string, output: string): Promise<void> {
  const t0 = performance.now();
  const img = await readImageFile(input);
  const { image, meanBrightness } = await negativeImage(engine, img);
  await writePngFile(output, image);
  const ms = performance.now() - t0;
  console.log(`${input} (${img.width}×${img.height}, mean brightness ${meanBrightness.toFixed(3)}) → ${output} in ${ms.toFixed(0)} ms`);
}

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    console.error(`stylegpu: unknown command '${name}'\n\n${HELP}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`stylegpu ${name}: ${msg}`);
    return e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
