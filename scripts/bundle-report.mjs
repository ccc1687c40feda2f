// node scripts/bundle-report.mjs [page.js …]: what a page built from the package ships, module by module. Builds
// dist/ (npm run build), bundles each page with vite as a page author's project would (node_modules/stylegpu → this
// repository), and prints per output file its gzip size and whether the page loads it at start, then per module
// its minified size and its code gzipped alone (a rough share: gzip across module boundaries does a little
// better). Without arguments: the pages test/package-size.test.ts measures (test/pages/).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { buildPackage } from './build.mjs';

const root = new URL('..', import.meta.url).pathname;
/** The pages test/package-size.test.ts measures. */
const PAGES = ['test/pages/network.js', 'test/pages/gatys.js'];

const kb = (n) => `${(n / 1024).toFixed(1).padStart(6)} KB`;

async function report(name, source) {
  const dir = mkdtempSync(join(tmpdir(), 'stylegpu-report-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules/stylegpu'), 'dir');
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
    writeFileSync(join(dir, 'main.js'), source);
    const out = await build({ root: dir, configFile: false, logLevel: 'warn', build: { write: false, target: 'es2022' } });
    const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((o) => o.type === 'chunk');
    const byName = new Map(chunks.map((c) => [c.fileName, c]));
    const atStart = new Set();
    const visit = (c) => {
      if (atStart.has(c)) return;
      atStart.add(c);
      for (const f of c.imports) visit(byName.get(f));
    };
    for (const c of chunks.filter((c) => c.isEntry)) visit(c);
    console.log(`\n${name}`);
    let start = 0;
    for (const c of chunks) {
      const gzip = gzipSync(c.code, { level: 9 }).length;
      if (atStart.has(c)) start += gzip;
      console.log(`  ${kb(gzip)} gzip  ${atStart.has(c) ? 'at start' : 'lazy    '}  ${c.fileName}`);
    }
    console.log(`  ${kb(start)} gzip  loaded at start (the lazy files are loaded only by the page that opens their model)`);
    const rows = [];
    for (const c of [...atStart]) {
      for (const [id, m] of Object.entries(c.modules)) {
        if (m.renderedLength > 0) rows.push({ id: id.replace(root, '').replace(/^.*node_modules\//, 'node_modules/'), bytes: m.renderedLength, gzip: gzipSync(m.code ?? '', { level: 9 }).length });
      }
    }
    rows.sort((a, b) => b.gzip - a.gzip);
    console.log('  modules loaded at start (minified, and gzipped alone):');
    for (const r of rows) console.log(`  ${kb(r.gzip)} gzip ${kb(r.bytes)}  ${r.id}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await buildPackage();
const pages = process.argv.length > 2 ? process.argv.slice(2) : PAGES.map((p) => join(root, p));
for (const page of pages) await report(page, readFileSync(page, 'utf8'));
