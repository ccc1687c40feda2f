// npm run size:report [-- page.js]: which modules a page built from the package ships, and how much each weighs
// (minified bytes as rendered into the page, and each module's code gzipped alone: a rough share, since gzip
// across module boundaries compresses a little better). Builds dist/ first, then bundles the page with vite.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { BROWSER_ENTRIES, browserTreeshake, wgslForPages } from './build.mjs';

const root = new URL('..', import.meta.url).pathname;
const PAGES = {
  network: `import { StyleGpu } from 'stylegpu';
const sg = await StyleGpu.create();
const net = await sg.network('wave');
await net.stylize(document.querySelector('img'), { canvas: document.querySelector('canvas') });`,
  gatys: `import { StyleGpu } from 'stylegpu';
import { loadGatys } from 'stylegpu/gatys';
const sg = await StyleGpu.create();
const gatys = await loadGatys(sg);
await gatys.run(document.images[0], document.images[1], { canvas: document.querySelector('canvas') });`,
};

async function report(name, source) {
  const dir = mkdtempSync(join(tmpdir(), 'stylegpu-report-'));
  try {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
    writeFileSync(join(dir, 'main.js'), source);
    const out = await build({ root: dir, configFile: false, logLevel: 'warn', plugins: [wgslForPages],
      resolve: { alias: Object.entries(BROWSER_ENTRIES).map(([k, v]) => ({ find: new RegExp(`^stylegpu${k === 'index' ? '' : `/${k}`}$`), replacement: join(root, v) })) },
      build: { write: false, target: 'es2022', rolldownOptions: { treeshake: { ...browserTreeshake, ...(process.env.PURE ? { manualPureFunctions: ['kernel', 'kernelVariants', 'kernelTable', 'shaderModule', 'uniformStruct'] } : {}) } } } });
    const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((o) => o.type === 'chunk');
    let total = 0;
    const rows = [];
    for (const chunk of chunks) {
      total += gzipSync(chunk.code, { level: 9 }).length;
      for (const [id, m] of Object.entries(chunk.modules)) {
        const code = m.code ?? '';
        rows.push({ id: id.replace(root, '').replace(/^.*node_modules\//, 'node_modules/'), bytes: m.renderedLength, gzip: gzipSync(code, { level: 9 }).length });
      }
    }
    rows.sort((a, b) => b.gzip - a.gzip);
    console.log(`\n${name} page: ${(total / 1024).toFixed(1)} KB gzip in ${chunks.length} chunk(s)`);
    for (const r of rows) if (r.bytes > 0) console.log(`  ${(r.gzip / 1024).toFixed(1).padStart(6)} KB gzip ${(r.bytes / 1024).toFixed(1).padStart(7)} KB  ${r.id}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const custom = process.argv[2];
if (custom) await report(custom, readFileSync(custom, 'utf8'));
else for (const [name, source] of Object.entries(PAGES)) await report(name, source);
