// Run in a child process by test/image-files.test.ts: read one image file as the CLI does and print its size and
// the process's peak resident memory, so the test can bound the memory a large photo costs.
import { readImageFile } from '../../src/node/files.ts';

const [path, fit] = process.argv.slice(2);
const img = await readImageFile(path, fit === undefined ? undefined : Number(fit));
console.log(JSON.stringify({ width: img.width, height: img.height, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
