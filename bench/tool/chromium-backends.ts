// Which WebGPU adapter headless Chromium gives under each set of flags and Vulkan environment:
//   node --import ./src/node/register.js bench/tool/chromium-backends.ts
// A blank page from a localhost server (WebGPU needs a secure origin) asks navigator.gpu for its adapter
// (and the fallback one) and prints what each attempt got. The findings are in bench/FUSION.md.
import { createServer } from 'node:http';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/helpers/chromium.ts';

const LVP = '/usr/share/vulkan/icd.d/lvp_icd.json';
const ATTEMPTS: { label: string; flags: string[]; env?: Record<string, string> }[] = [
  { label: 'default flags', flags: [] },
  { label: 'Vulkan feature, native Vulkan, lavapipe ICD', flags: ['--enable-features=Vulkan', '--use-vulkan=native'], env: { VK_ICD_FILENAMES: LVP, VK_DRIVER_FILES: LVP } },
  { label: '+ --use-webgpu-adapter=default, --ignore-gpu-blocklist', flags: ['--enable-features=Vulkan', '--use-vulkan=native', '--use-webgpu-adapter=default', '--ignore-gpu-blocklist'], env: { VK_ICD_FILENAMES: LVP, VK_DRIVER_FILES: LVP } },
  { label: '+ --use-angle=vulkan, --disable-vulkan-fallback-to-gl-for-testing', flags: ['--enable-features=Vulkan', '--use-vulkan=native', '--use-angle=vulkan', '--disable-vulkan-fallback-to-gl-for-testing', '--use-webgpu-adapter=default', '--ignore-gpu-blocklist'], env: { VK_ICD_FILENAMES: LVP, VK_DRIVER_FILES: LVP } },
  { label: '+ --enable-dawn-features=allow_unsafe_apis, --enable-gpu, --disable-software-rasterizer', flags: ['--enable-features=Vulkan', '--use-vulkan=native', '--use-webgpu-adapter=default', '--ignore-gpu-blocklist', '--enable-dawn-features=allow_unsafe_apis', '--enable-gpu', '--disable-software-rasterizer'], env: { VK_ICD_FILENAMES: LVP, VK_DRIVER_FILES: LVP } },
  { label: '+ --disable-gpu-sandbox, WebGPUService (the Vulkan loader then lists llvmpipe in the GPU process: VK_LOADER_DEBUG=driver)', flags: ['--disable-gpu-sandbox', '--enable-features=Vulkan,WebGPUService', '--use-vulkan=native', '--use-webgpu-adapter=default', '--ignore-gpu-blocklist'], env: { VK_ICD_FILENAMES: LVP, VK_DRIVER_FILES: LVP } },
  { label: '--use-webgpu-adapter=swiftshader (explicit)', flags: ['--use-webgpu-adapter=swiftshader'] },
];

const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>probe</title>'));
await new Promise<void>((r) => server.listen(0, 'localhost', r));
const address = server.address();
const url = `http://localhost:${typeof address === 'object' && address ? address.port : 0}/`;

for (const a of ATTEMPTS) {
  let line: string;
  const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...a.flags], env: { ...process.env, ...a.env } });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    // A string, not a function: the TypeScript loader would wrap a function's inner closures in helpers
    // the page does not have.
    line = (await page.evaluate(`(async () => {
      if (!navigator.gpu) return 'no navigator.gpu';
      const describe = async (o) => {
        const ad = await navigator.gpu.requestAdapter(o);
        return ad ? [ad.info.vendor, ad.info.architecture, ad.info.device, ad.info.description, ad.info.isFallbackAdapter ? '(fallback)' : ''].filter(Boolean).join(' ') : 'none';
      };
      return 'default adapter: ' + (await describe()) + '; fallback adapter: ' + (await describe({ forceFallbackAdapter: true }));
    })()`)) as string;
  } catch (e) {
    line = `failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    await browser.close();
  }
  console.log(`${a.label} [${a.flags.join(' ')}${a.env ? ` ${Object.entries(a.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}]\n  → ${line}`);
}
server.close();
process.exit(0);
