// Engine-level commands: info (adapter and limits), smoke (one image through the engine).
import { checkOutputPath, readImageFile, writePngFile } from '../node/files.ts';
import { describeAdapter } from '../runtime/device.ts';
import { Engine, fmtBytes } from '../runtime/engine.ts';
import { negativeImage } from './smoke.ts';
import { type Command, parseCommandArgs, requireOption } from './command.ts';

export const info: Command = {
  name: 'info',
  summary: 'describe the WebGPU adapter, its features and limits',
  usage: 'stylegpu info',
  async run() {
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
};

export const smoke: Command = {
  name: 'smoke',
  summary: 'run the engine on one image (1 − x and a GPU sum); PNG or JPEG in, PNG out',
  usage: 'stylegpu smoke --content PATH --output PATH',
  async run(args) {
    const { values } = parseCommandArgs(args, { content: { type: 'string' }, output: { type: 'string' } });
    const content = requireOption(values.content, '--content');
    const output = requireOption(values.output, '--output');
    checkOutputPath('--output', output, [content]);
    const img = await readImageFile(content);
    const engine = await Engine.create();
    try {
      const { image, meanBrightness } = await negativeImage(engine, img);
      await writePngFile(output, image);
      console.log(`${content} (${img.width}×${img.height}, mean brightness ${meanBrightness.toFixed(3)}) → ${output}`);
    } finally {
      await engine.destroy();
    }
    return 0;
  },
};
