// The benchmark tool's hosts: the tool's page in headless Chromium (served by a Vite server on localhost, log
// lines forwarded to the terminal) or Node on Dawn (--node), the same measuring code in both (run.ts for kernel
// cases, model.ts for a model). The files a run writes are outputs.ts'.
import { existsSync } from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { createServer } from 'vite';
import { readImageFile } from '../../src/node/files.ts';
import { Engine } from '../../src/runtime/engine.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/helpers/chromium.ts';
import { ROOT } from '../inputs.ts';
import type { Tfjs } from '../kernels.ts';
import { tfjsOnDawn } from '../tfjs.ts';
import { measureModel } from './model.ts';
import type { PageConfig, PageOutcome, ResultOf } from './page.ts';
import { runCases } from './run.ts';

/** Chromium's flags for WebGPU here: the test helper's (no sandbox, --enable-unsafe-webgpu, no background
 *  traffic). Extra ones from STYLEGPU_CHROMIUM_FLAGS (space-separated) are appended, for trying backends. */
export const CHROMIUM_FLAGS = [...CHROMIUM_ARGS, ...(process.env.STYLEGPU_CHROMIUM_FLAGS?.split(' ').filter(Boolean) ?? [])];

/** How long one DevTools call may take. The page's JavaScript awaits the GPU, so a poll is answered between its
 *  steps even in a run of many minutes (a Gatys warm-up at 512² took 8.5 min in SwiftShader); this only bounds a
 *  page stuck in one long step. */
const PROTOCOL_TIMEOUT_MS = 10 * 60_000;

/** Headless Chromium with the tool's page served from a Vite server: `run` opens the page on a config (a fresh
 *  page per run, the browser and server shared, so a test can run several models on one start); the page's log
 *  lines go to `log` as they come. */
export interface ChromiumHost {
  run<C extends PageConfig>(config: C): Promise<ResultOf<C>>;
  close(): Promise<void>;
}

export async function openChromium(log: (line: string) => void = console.log): Promise<ChromiumHost> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run \`bash scripts/setup.sh\` or set STYLEGPU_CHROMIUM`);
  // No hot reload: an edit to a source file during a run of many minutes would otherwise reload the page and
  // silently start the run again.
  const server = await createServer({ root: ROOT, logLevel: 'error', server: { host: 'localhost', port: 0, hmr: false, watch: null } });
  await server.listen();
  const address = server.httpServer!.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS, protocolTimeout: PROTOCOL_TIMEOUT_MS }).catch(async (e) => {
    await server.close();
    throw e;
  });
  const host = `chromium ${await browser.version()}`;
  return {
    async run(config) {
      const page = await browser.newPage();
      try {
        let crashed: string | undefined;
        page.on('console', (m) => log(m.text()));
        page.on('pageerror', (err) => log(`page error: ${err}`));
        page.on('error', (err) => (crashed = `the benchmark page crashed: ${err.message}`));
        await page.goto(`http://localhost:${port}/bench/tool/browser/index.html?config=${encodeURIComponent(JSON.stringify(config))}`, { timeout: 120_000 });
        // Poll rather than waitForFunction: one protocol call may not stay open for the whole run.
        let out: PageOutcome | undefined;
        while (!crashed && !(out = await page.evaluate(() => window.__stylegpuBenchTool))) await new Promise((r) => setTimeout(r, 1000));
        if (crashed) throw new Error(crashed);
        if (out!.error !== undefined) throw new Error(`benchmark page failed: ${out!.error}`);
        return { ...(out!.result as ResultOf<typeof config>), host };
      } finally {
        // A crashed page may not close cleanly; the error that matters is the run's.
        await page.close().catch(() => {});
      }
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

export async function inChromium<C extends PageConfig>(config: C): Promise<ResultOf<C>> {
  const chromium = await openChromium();
  try {
    return await chromium.run(config);
  } finally {
    await chromium.close();
  }
}

export async function inNode<C extends PageConfig>(config: C): Promise<ResultOf<C>> {
  const e = await Engine.create(config.profile ? { profile: config.profile } : {});
  if (config.mode === 'model') return (await measureModel(e, config.work, (file) => readImageFile(path.resolve(ROOT, file)), 'node-dawn')) as ResultOf<C>;
  let tf: Tfjs | undefined;
  if (config.tfjs) tf = await tfjsOnDawn(e.ctx.gpu);
  return (await runCases(e, config.cases, config.settings, 'node-dawn', tf)) as ResultOf<C>;
}
