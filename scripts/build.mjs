// npm run build: the package in dist/ — the browser entries (ESM, shaders inlined, no Node code), the Node entry,
// and their .d.ts — then every entry's size, raw and gzip.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

/** Entries of the package: name → source; the browser ones must not reach Node-only code. */
export const BROWSER_ENTRIES = {
  index: 'src/web/index.ts',
  gatys: 'src/web/gatys.ts',
  adain: 'src/web/adain.ts',
  gatedgan: 'src/web/gatedgan.ts',
  stylegan: 'src/web/stylegan.ts',
  worker: 'src/web/worker.ts',
  workerScript: 'src/web/workerScript.ts',
};
export const NODE_ENTRIES = { node: 'src/node/index.ts' };

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
// Bare imports (the package's dependencies) stay imports: the page's bundler or Node resolves them.
const isBare = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[a-zA-Z]:/.test(id);
// The pure-JS PNG/JPEG decoders (CommonJS) are for Node's files; a page decodes with the browser. Bundled into
// the browser build and marked free of side effects, they vanish when no browser entry reaches decodeImage.
const PAGE_UNUSED_DECODERS = /[\\/]node_modules[\\/](upng-js|jpeg-js|pako)[\\/]/;
export const browserTreeshake = { moduleSideEffects: (id) => !PAGE_UNUSED_DECODERS.test(id) };
const browserExternal = (id) => isBare(id) && !/^(upng-js|jpeg-js|pako)(\/|$)/.test(id);

// Characters of words (identifiers, keywords, numbers) and of operators: a space between two of one kind may
// separate tokens (`let x`, `a - -b`, `/ /`); any other space is not needed by WGSL's tokenizer (which, unlike
// its template disambiguation, is the only part that sees spaces).
const WORD = /[A-Za-z0-9_@]/;
const OPERATOR = /[-+*/%&|^<>=!~.]/;

/** Drops the spaces of a WGSL line that no token needs. */
function squeezeLine(line) {
  return line.replace(/[ \t]+/g, (space, at) => {
    const [a, b] = [line[at - 1], line[at + space.length]];
    return (WORD.test(a) && WORD.test(b)) || (OPERATOR.test(a) && OPERATOR.test(b)) ? ' ' : '';
  });
}

/** WGSL for the page without comments, indentation and spaces between tokens that need none (parseBindings and
 *  the preprocessor ignore all three; preprocessor directives stay lines of their own, untouched). */
export function minifyWgsl(source) {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => (line.startsWith('#') ? line : squeezeLine(line)))
    .join('\n');
}

export const wgslForPages = {
  name: 'stylegpu-wgsl-min',
  enforce: 'pre',
  load(id) {
    const [file, query] = id.split('?');
    if (!file.endsWith('.wgsl') || query !== 'raw') return null;
    return `export default ${JSON.stringify(minifyWgsl(readFileSync(file, 'utf8')))};`;
  },
};

// The browser build keeps one file per module (src/…, shaders/… as .wgsl.js), so that a page's bundler, told by
// `sideEffects: false`, drops whole modules its page does not reach; one merged chunk would keep every kernel
// table and shader of the package, since a bundler cannot tell that their top-level calls have no side effects.
const browserFileName = (chunk) => (/\.wgsl(\?|$)/.test(chunk.facadeModuleId ?? '') ? '[name].wgsl.js' : '[name].js');

// Kernel specs, tables and uniform structs are made by top-level calls of these factories, which have no side
// effects (runtime/kernel.ts, kernels/planner.ts, runtime/uniforms.ts). Marked as such in the browser build, a
// page's bundler drops those its page never runs (a network page has no use for the weight-gradient kernels).
const PURE_FACTORIES = ['kernel', 'kernelVariants', 'kernelTable', 'shaderModule', 'uniformStruct'];
const PURE_CALL = new RegExp(`^((?:export )?(?:const|let|var) [\\w$]+ = )(${PURE_FACTORIES.join('|')})\\(`, 'gm');
export const pureFactories = {
  name: 'stylegpu-pure-factories',
  transform(code, id) {
    if (!/[\\/]src[\\/].*\.ts$/.test(id)) return null;
    const marked = code.replace(PURE_CALL, '$1/* @__PURE__ */ $2(');
    return marked === code ? null : { code: marked, map: null };
  },
};

// A page is not Node: src/platform.ts says so as a constant, and bundlers drop the code it guards.
const PLATFORM = /[\\/]src[\\/]platform\.ts$/;
export const pagePlatform = {
  name: 'stylegpu-page-platform',
  enforce: 'pre',
  load: (id) => (PLATFORM.test(id) ? 'export const IN_NODE = false;' : null),
};

async function buildEntries(entries, outDir, platform) {
  const browser = platform === 'browser';
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    plugins: browser ? [wgslForPages, pureFactories, pagePlatform] : [],
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      lib: { entry: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(root, v)])), formats: ['es'] },
      rolldownOptions: {
        external: browser ? browserExternal : isBare,
        treeshake: browser ? browserTreeshake : undefined,
        output: browser ? { preserveModules: true, preserveModulesRoot: root, entryFileNames: browserFileName } : { chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
    ssr: platform === 'node' ? { target: 'node' } : undefined,
  });
}

/** worker.ts starts `new Worker(new URL(workerScriptFile, import.meta.url))` (not a literal, so that vite does not
 *  bundle the Worker into the package): point it at the built entry, in the form a page's bundler makes a Worker of. */
function pointAtWorkerScript(file) {
  const code = readFileSync(file, 'utf8');
  const pointed = code.replace(/new URL\(\s*(?:workerScriptFile|(['"])\.\/workerScript\.ts\1)\s*,\s*import\.meta\.url\s*\)/, 'new URL("./workerScript.js", import.meta.url)');
  if (pointed === code) throw new Error(`${file}: the Worker's URL was not found`);
  writeFileSync(file, pointed);
}

function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

export async function buildPackage() {
  rmSync(dist, { recursive: true, force: true });
  await buildEntries(BROWSER_ENTRIES, join(dist, 'browser'), 'browser');
  pointAtWorkerScript(join(dist, 'browser/worker.js'));
  await buildEntries(NODE_ENTRIES, join(dist, 'node'), 'node');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  // The sources import with .ts extensions (run directly by tsx and vite); the published types use .js.
  for (const f of files(join(dist, 'types')).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2'));
  }
}

const ENTRY_FILES = { 'stylegpu (page)': 'browser/index.js', 'stylegpu/gatys': 'browser/gatys.js', 'stylegpu (Node), stylegpu/node': 'node/node.js' };
const STATIC_IMPORT = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** A dist file's relative imports (static, and import()), as dist paths; bare ones (dependencies) left out. */
function importsOf(file) {
  const code = readFileSync(join(dist, file), 'utf8');
  const resolve = (spec) => (spec.startsWith('.') ? join(dirname(file), spec) : undefined);
  return {
    static: [...code.matchAll(STATIC_IMPORT)].map((m) => resolve(m[1] ?? m[2])).filter(Boolean),
    dynamic: [...code.matchAll(DYNAMIC_IMPORT)].map((m) => resolve(m[1])).filter(Boolean),
  };
}

/**
 * Each entry of the package with every file it imports statically (what a page that used all of it would load;
 * a page's bundler keeps only what the page reaches), and the files it may import later (the digest lists):
 * raw bytes, and gzip -9 of the files concatenated.
 */
export function entrySizes() {
  const size = (fileList) => {
    const bytes = Buffer.concat(fileList.map((f) => readFileSync(join(dist, f))));
    return { files: fileList.length, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  };
  return Object.entries(ENTRY_FILES).map(([entry, file]) => {
    const loaded = new Set();
    const lazy = new Set();
    const visit = (f) => {
      if (loaded.has(f)) return;
      loaded.add(f);
      const { static: imports, dynamic } = importsOf(f);
      imports.forEach(visit);
      dynamic.forEach((d) => lazy.add(d));
    };
    visit(file);
    const later = [...lazy].filter((f) => !loaded.has(f));
    return { entry, file, ...size([...loaded]), lazy: later.length ? { ...size(later), each: later.map((f) => size([f])) } : undefined };
  });
}

const kb = (n) => `${(n / 1024).toFixed(1).padStart(6)} KB`;

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildPackage();
  console.log('dist/ entries, each with every file it imports statically (a page bundles only what it uses):');
  for (const e of entrySizes()) {
    console.log(`  ${e.entry.padEnd(32)} ${e.file.padEnd(18)} ${String(e.files).padStart(3)} file${e.files === 1 ? " " : "s"}${kb(e.bytes)} ${kb(e.gzip)} gzip`);
    if (e.lazy) {
      const gz = e.lazy.each.map((x) => x.gzip);
      console.log(`  ${'  + loaded when a model opens'.padEnd(51)} ${String(e.lazy.files).padStart(3)} files ${kb(e.lazy.bytes)}, each ${kb(Math.min(...gz)).trim()}–${kb(Math.max(...gz)).trim()} gzip (one digest list per model)`);
    }
  }
}
