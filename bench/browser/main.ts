// The kernel benchmark on the page's WebGPU (driven by bench/chromium.ts): the same cases as in Node, with
// tfjs-webgpu loaded in the page on the same adapter. ?quick=1 for fewer repeats, ?tfjs=0 to skip tfjs.
import { Engine } from '../../src/runtime/engine.ts';
import { type BenchResult, type Tfjs, runKernelBenchmarks } from '../kernels.ts';

declare global {
  interface Window {
    __bench?: { result?: BenchResult; error?: string };
  }
}

const params = new URLSearchParams(location.search);
const pre = document.getElementById('log')!;
const log = (line: string) => {
  pre.textContent += `${line}\n`;
  console.log(line);
};

try {
  const engine = await Engine.create();
  let tf: Tfjs | undefined;
  if (params.get('tfjs') !== '0') {
    const core = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    await core.setBackend('webgpu');
    await core.ready();
    tf = core as unknown as Tfjs;
  }
  window.__bench = { result: await runKernelBenchmarks(engine, tf, { quick: params.get('quick') === '1', log }) };
} catch (e) {
  window.__bench = { error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) };
  log(window.__bench.error!);
}
