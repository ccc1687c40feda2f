// The benchmark tool's page (bench/tool/cli.ts opens it in headless Chromium): runCases, the code Node runs
// with --node, on the page's adapter, with tfjs-webgpu in the same page. The query's `config` is the JSON of
// PageConfig; log lines go to the console (the runner forwards them), the result to window.__stylegpuBenchTool.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { Engine } from '../../../src/runtime/engine.ts';
import type { Tfjs } from '../../kernels.ts';
import { tfjsInPage } from '../../tfjs.ts';
import { type PageConfig, type PageOutcome, runCases } from '../run.ts';

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

try {
  const config = JSON.parse(new URLSearchParams(location.search).get('config') ?? 'null') as PageConfig;
  const engine = await Engine.create(config.profile ? { profile: config.profile } : {});
  let tfjs: Tfjs | undefined;
  if (config.tfjs) {
    tfjs = await tfjsInPage(tf);
  }
  window.__stylegpuBenchTool = { result: await runCases(engine, config.cases, config.settings, `chromium ${navigator.userAgent}`, tfjs, log) };
} catch (e) {
  const error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  log(error);
  window.__stylegpuBenchTool = { error };
}
