// Headless Debian Chromium driven by puppeteer-core, on pages served by Vite from http://localhost
// (WebGPU exists only on a secure origin). No browser is ever downloaded: the system one is used.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { type ViteDevServer, createServer } from 'vite';

export const CHROMIUM_PATH = process.env.STYLEGPU_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface BrowserSession {
  server: ViteDevServer;
  browser: Browser;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startBrowserSession(): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run \`bash scripts/setup.sh\` (installs Debian's chromium) or set STYLEGPU_CHROMIUM`);
  }
  const server = await createServer({ root: process.cwd(), logLevel: 'error', server: { host: 'localhost', port: 0 } });
  await server.listen();
  const address = server.httpServer!.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  return {
    server,
    browser,
    baseUrl: `http://localhost:${port}`,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
