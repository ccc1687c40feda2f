// Bundles the benchmarks to plain JavaScript for a machine with Node but no node_modules (the lent GPU machine):
// TypeScript compiled away, shaders (`?raw` imports) inlined as text, tfjs-webgpu included. Left outside: the
// `webgpu` package (native; pack.sh carries it beside the bundles, in .device/node_modules/) and onnxruntime-node
// (native, 45 MB; the device run uses random weights, so fast-style.ts never loads it).
//   node bench/device/bundle.mjs OUTDIR
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outdir = process.argv[2];
if (!outdir) throw new Error('usage: node bench/device/bundle.mjs OUTDIR');

/** `import text from './x.wgsl?raw'` → the file's text, as Vite and src/node/wgsl-raw-hooks.js give it. */
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: path.resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)), namespace: 'raw-text' }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ['bench/node.ts', 'bench/gatys.ts', 'bench/fast-style.ts', 'bench/device/adapter.ts'],
  outdir,
  outbase: 'bench',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // tfjs's ESM builds (its CommonJS ones lose their named exports through a dynamic import in a bundle).
  mainFields: ['module', 'main'],
  target: 'node20',
  external: ['webgpu', 'onnxruntime-node'],
  plugins: [rawText],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
