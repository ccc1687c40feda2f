// The benchmark tool's page (bench/tool/hosts.ts opens it in headless Chromium): the code Node runs with --node,
// on the page's adapter — runCases for kernel cases (with tfjs-webgpu in the same page), measureModel for a
// model, its photos fetched from the Vite server and decoded by the browser. The query's `config` is the JSON
// of PageConfig; log lines go to the console (the runner forwards them), the outcome to
// window.__stylegpuBenchTool.
import { Engine } from '../../../src/runtime/engine.ts';
import { readPixels } from '../../../src/web/images.ts';
import type { Tfjs } from '../../kernels.ts';
import { tfjsInPage } from '../../tfjs.ts';
import { measureModel } from '../model.ts';
import type { PageConfig, PageOutcome } from '../page.ts';
import { runCases } from '../run.ts';

declare global {
  interface Window {
    __stylegpuBenchTool?: PageOutcome;
  }
}

const pre = document.getElementById('log')!;
const log = (line: string) => {
  console.log(line);
  pre.textContent += `${line}\n`;
};

/** A photo of the repository, fetched from the server (its root is the repository's) and decoded by the browser. */
async function readPhoto(file: string) {
  const response = await fetch(`/${file}`);
  if (!response.ok) throw new Error(`${file}: the server answered ${response.status} ${response.statusText}`);
  return readPixels(await response.blob());
}

try {
  const config = JSON.parse(new URLSearchParams(location.search).get('config') ?? 'null') as PageConfig;
  const engine = await Engine.create(config.profile ? { profile: config.profile } : {});
  // The Node side names the host by the browser's full version; the user agent's may be reduced.
  const host = `chromium ${/Chrome\/[\d.]+/.exec(navigator.userAgent)?.[0] ?? navigator.userAgent}`;
  if (config.mode === 'model') {
    window.__stylegpuBenchTool = { result: await measureModel(engine, config.work, readPhoto, host, log) };
  } else {
    let tfjs: Tfjs | undefined;
    if (config.tfjs) {
      // Loaded only for kernel cases with tfjs, so a model run's page does not compile it.
      const [tf] = await Promise.all([import('@tensorflow/tfjs-core'), import('@tensorflow/tfjs-backend-webgpu')]);
      tfjs = await tfjsInPage(tf);
    }
    window.__stylegpuBenchTool = { result: await runCases(engine, config.cases, config.settings, host, tfjs, log) };
  }
} catch (e) {
  const error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  log(error);
  window.__stylegpuBenchTool = { error };
}
