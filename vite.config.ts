import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/** Serves the folder named by STYLEGPU_WEIGHTS_MIRROR, byte for byte, at /mirror/ (dev server only), so the
 *  demo can load weights from it: http://localhost:5173/?mirror=/mirror/ */
function weightsMirror(): Plugin {
  return {
    name: 'stylegpu-weights-mirror',
    configureServer(server) {
      const dir = process.env.STYLEGPU_WEIGHTS_MIRROR;
      if (!dir || !existsSync(dir)) return;
      const root = resolve(dir);
      server.middlewares.use('/mirror', (req, res, next) => {
        const file = resolve(root, decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, ''));
        if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return next();
        res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(file).size));
        createReadStream(file).pipe(res);
      });
    },
  };
}

/** The kernel test files (src/kernels/**), the ones whose 'auto' choices depend on the adapter profile. */
const KERNEL_TESTS = ['conv2d', 'convTranspose2d', 'gram', 'pool', 'pool_act_golden', 'norm', 'norm-golden', 'activation', 'generator', 'vector', 'loss', 'lbfgs', 'gramMse', 'elementwiseFusion'].map(
  (name) => `test/${name}.test.ts`,
);

export default defineConfig({
  // The demo (demo/), the in-browser test pages (test/browser/, test/preview/) and benchmark page (bench/browser/).
  root: '.',
  plugins: [weightsMirror()],
  server: { host: 'localhost', strictPort: false },
  build: { target: 'es2022' },
  test: {
    // Dawn's native addon is happiest in child processes, not worker threads.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 10_000,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      // The kernel tests again under the 'gpu' adapter profile, so its planner choices ('auto') run on lavapipe too.
      { extends: true, test: { name: 'profile-gpu', include: KERNEL_TESTS, env: { STYLEGPU_PROFILE: 'gpu' } } },
    ],
  },
});
