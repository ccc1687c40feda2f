// The kernel benchmark in the browser (bench/chromium.ts opens this page): runKernelBenchmarks on the page's
// WebGPU adapter with tfjs-webgpu loaded in the same page. Query: quick, no-tfjs, no-naive, no-blocked,
// no-extras, shapes=64x128,512x16 (C×S). Every log line goes to the console (the runner forwards it) and
// the result is left on window.__stylegpuBench.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { Engine } from '../../src/runtime/engine.ts';
import { tfjsInPage } from '../tfjs.ts';
import { type BenchResult, type Tfjs, VGG_SHAPES, runKernelBenchmarks } from '../kernels.ts';

declare global {
  interface Window {
    __stylegpuBench?: { result?: BenchResult; error?: string };
  }
}

const query = new URLSearchParams(location.search);
const pre = document.getElementById('log')!;
const log = (line: string) => {
  console.log(line);
  pre.textContent += `${line}\n`;
};

try {
  const engine = await Engine.create();
  let tfjs: Tfjs | undefined;
  if (!query.has('no-tfjs')) {
    tfjs = await tfjsInPage(tf);
  }
  const shapes = query.get('shapes')?.split(',').map((s) => {
    const [C, S] = s.split('x').map(Number);
    return { C, S };
  });
  const result = await runKernelBenchmarks(engine, tfjs, {
    quick: query.has('quick'),
    naive: !query.has('no-naive'),
    blocked: !query.has('no-blocked'),
    extras: !query.has('no-extras'),
    shapes: shapes ?? VGG_SHAPES,
    log,
  });
  window.__stylegpuBench = { result };
} catch (e) {
  const error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  log(error);
  window.__stylegpuBench = { error };
}
