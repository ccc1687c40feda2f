// The built package as a page author meets it: `npm run build` once per test file, and pages bundled by vite
// (production, minified) from `import … from 'stylegpu'`, resolved through the package's `exports`.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

export const REPO = resolve(new URL('../..', import.meta.url).pathname);

let built: Promise<void> | undefined;

/** dist/ built from the current sources (once per test process). */
export function buildPackage(): Promise<void> {
  built ??= import(join(REPO, 'scripts/build.mjs')).then((m) => m.buildPackage());
  return built;
}

export interface BundleSize {
  /** Every emitted .js file of the page, gzip -9, summed (no weights: those are fetched at run time). */
  gzipBytes: number;
  rawBytes: number;
  /** The emitted JavaScript, for content checks. */
  code: string;
}

/**
 * Bundles a page whose only script is `source` (ESM importing 'stylegpu', 'stylegpu/gatys', …) with vite in a
 * project: a temporary one where node_modules/stylegpu links to this repository, or `projectDir` (which keeps the
 * output in its dist/). Returns the output's size.
 */
export async function bundlePage(source: string, projectDir?: string, html = '<!doctype html><script type="module" src="./main.js"></script>'): Promise<BundleSize> {
  const dir = projectDir ?? mkdtempSync(join(tmpdir(), 'stylegpu-page-'));
  try {
    if (!projectDir) {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(REPO, join(dir, 'node_modules/stylegpu'), 'dir');
    }
    writeFileSync(join(dir, 'index.html'), html);
    writeFileSync(join(dir, 'main.js'), source);
    await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir: join(dir, 'dist'), target: 'es2022', emptyOutDir: true } });
    const files = readdirSync(join(dir, 'dist'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && d.name.endsWith('.js'));
    let gzipBytes = 0;
    let rawBytes = 0;
    let code = '';
    for (const f of files) {
      const bytes = readFileSync(join(f.parentPath, f.name));
      rawBytes += bytes.length;
      gzipBytes += gzipSync(bytes, { level: 9 }).length;
      code += bytes.toString('utf8');
    }
    return { gzipBytes, rawBytes, code };
  } finally {
    if (!projectDir) rmSync(dir, { recursive: true, force: true });
  }
}
