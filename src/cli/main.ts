// The `stylegpu` command line: one module per command, listed here.
import { adainCommand } from './adain.ts';
import { removePendingFiles } from '../node/files.ts';
import { type Command, isUsageError } from './command.ts';
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
  // First Ctrl-C: the command stops at its next safe point (Gatys keeps the image reached so far; the others
  // write nothing). A second one quits at once, removing any half-written temporary file.
  const interrupt = new AbortController();
  const onSigint = () => {
    if (!interrupt.signal.aborted) {
      console.error(`\nstylegpu ${name}: interrupted; stopping (press Ctrl-C again to quit at once)`);
      interrupt.abort(new Error('interrupted'));
    } else {
      removePendingFiles();
      console.error(`stylegpu ${name}: quit; nothing more written`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    return await command.run(rest, interrupt.signal);
  } catch (e) {
    if (interrupt.signal.aborted) {
      console.error(`stylegpu ${name}: interrupted before a result: nothing written, existing files left untouched`);
      return 130;
    }
    console.error(`stylegpu ${name}: ${errorMessage(name, e)}`);
    return isUsageError(e) ? 2 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The message without a repeated command prefix ('gatys: …' from the library under `stylegpu gatys:`). */
function errorMessage(command: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.toLowerCase().startsWith(`${command.toLowerCase()}: `) ? message.slice(command.length + 2) : message;
}
