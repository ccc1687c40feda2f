// The built package as a page author meets it: `npm run build` once per test file, and pages bundled by vite
// (production, minified) from `import … from 'stylegpu'`, resolved through the package's `exports`.
import { mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Rollup, build } from 'vite';

export const REPO = resolve(new URL('../..', import.meta.url).pathname);

let built: Promise<void> | undefined;

/** dist/ built from the current sources (once per test process). */
export function buildPackage(): Promise<void> {
  built ??= import(join(REPO, 'scripts/build.mjs')).then((m) => m.buildPackage());
  return built;
}

/** One emitted .js file of a page and what it imports. */
export interface PageChunk {
  fileName: string;
  code: string;
  rawBytes: number;
  /** gzip -9 of this file alone, as a server would send it. */
  gzipBytes: number;
  isEntry: boolean;
  /** fileNames of the chunks it imports statically, and of those it imports with import(). */
  imports: readonly string[];
  dynamicImports: readonly string[];
}

export interface BundleSize {
  /** Every emitted .js file of the page, gzip -9, summed (no weights: those are fetched at run time). */
  gzipBytes: number;
  rawBytes: number;
  /** The emitted JavaScript, for content checks. */
  code: string;
  chunks: readonly PageChunk[];
}

/**
 * The chunks a browser loads for a page: its entry chunks with everything they import statically, and the chunks
 * it imports with import() that `opened` picks (each with its own static imports).
 */
export function loadedChunks(page: BundleSize, opened: (c: PageChunk) => boolean = () => false): PageChunk[] {
  const byName = new Map(page.chunks.map((c) => [c.fileName, c]));
  const loaded = new Set<PageChunk>();
  const visit = (c: PageChunk) => {
    if (loaded.has(c)) return;
    loaded.add(c);
    for (const f of c.imports) visit(byName.get(f)!);
  };
  for (const c of page.chunks.filter((c) => c.isEntry)) visit(c);
  // Lazy chunks are reachable only through import() from a loaded chunk.
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of [...loaded]) {
      for (const f of c.dynamicImports) {
        const lazy = byName.get(f)!;
        if (!loaded.has(lazy) && opened(lazy)) {
          visit(lazy);
          grew = true;
        }
      }
    }
  }
  return [...loaded];
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
    const built = await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir: join(dir, 'dist'), target: 'es2022', emptyOutDir: true } });
    const outputs = (Array.isArray(built) ? built : [built]) as Rollup.RollupOutput[];
    // Chunks, and the scripts vite emits as assets (a Worker's bundle: the page loads it by URL, not by import).
    const chunks: PageChunk[] = outputs
      .flatMap((o) => o.output)
      .filter((o) => o.type === 'chunk' || o.fileName.endsWith('.js'))
      .map((c) => {
        const code = c.type === 'chunk' ? c.code : Buffer.from(c.source).toString('utf8');
        const bytes = Buffer.from(code);
        return {
          fileName: c.fileName,
          code,
          rawBytes: bytes.length,
          gzipBytes: gzipSync(bytes, { level: 9 }).length,
          isEntry: c.type === 'chunk' && c.isEntry,
          imports: c.type === 'chunk' ? c.imports : [],
          dynamicImports: c.type === 'chunk' ? c.dynamicImports : [],
        };
      });
    // What was written is what the page serves.
    const written = readdirSync(join(dir, 'dist'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && d.name.endsWith('.js'));
    if (written.length !== chunks.length) throw new Error(`bundlePage: ${written.length} .js files written, ${chunks.length} chunks reported`);
    return {
      gzipBytes: chunks.reduce((n, c) => n + c.gzipBytes, 0),
      rawBytes: chunks.reduce((n, c) => n + c.rawBytes, 0),
      code: chunks.map((c) => c.code).join('\n'),
      chunks,
    };
  } finally {
    if (!projectDir) rmSync(dir, { recursive: true, force: true });
  }
}
