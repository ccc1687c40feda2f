// The `stylegpu` command line: one module per command, listed here.
import { adainCommand } from './adain.ts';
import { type Command, UsageError } from './command.ts';
import { examples } from './examples.ts';
import { info, smoke } from './foundation.ts';
import { gatedgan } from './gatedgan.ts';
import { gatysCommand } from './gatys.ts';
import { stylegan } from './stylegan.ts';
import { transfer } from './transfer.ts';

const COMMANDS: Command[] = [adainCommand, examples, gatedgan, gatysCommand, info, smoke, stylegan, transfer];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `stylegpu — neural style transfer on hand-written WebGPU compute shaders

Usage: stylegpu COMMAND [options]      (stylegpu COMMAND --help for its options)

${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

The engine runs on WebGPU: in Node through Dawn (npm "webgpu") over Vulkan. Without a GPU, install Mesa's
lavapipe driver: \`bash scripts/setup.sh\` on Debian 12.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview());
    return name ? 0 : 1;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`stylegpu: unknown command '${name}'\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    console.error(`stylegpu ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
