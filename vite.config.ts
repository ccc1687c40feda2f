import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The browser build and the Chromium tests serve the repository root: pages under test/browser and bench/.
  root: '.',
  server: { host: 'localhost', strictPort: false },
  build: { target: 'es2022' },
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn's native addon is happiest in child processes, not worker threads.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 10_000,
  },
});
