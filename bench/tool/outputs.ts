// The benchmark tool's files: PATH.json and PATH.html, checked before any work starts and never written over an
// existing file. Light on imports, so the command line refuses a taken --out before it loads a browser or a device.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../inputs.ts';

/** PATH.json and PATH.html (default bench/results/STEM-DATE), refusing before any work if either exists. */
export function outputPaths(out: string | undefined, stem: string): { json: string; html: string } {
  const base = (out ?? path.join(ROOT, 'bench/results', `${stem}-${new Date().toISOString().replace(/[:.]/g, '-')}`)).replace(/\.(json|html)$/, '');
  const paths = { json: `${base}.json`, html: `${base}.html` };
  for (const p of Object.values(paths)) if (existsSync(p)) throw new Error(`${p} exists; give another --out (runs never overwrite results)`);
  return paths;
}

/** Writes the result (with the date and command) as JSON and its HTML page; 'wx' fails rather than overwrite a
 *  file that appeared during the run. */
export async function writeOutputs(paths: { json: string; html: string }, result: object, command: string, html: string): Promise<void> {
  await mkdir(path.dirname(paths.json), { recursive: true });
  await writeFile(paths.json, JSON.stringify({ date: new Date().toISOString(), command, ...result }, null, 2), { flag: 'wx' });
  await writeFile(paths.html, html, { flag: 'wx' });
  console.log(`\nwrote ${paths.json} and ${paths.html}`);
}
