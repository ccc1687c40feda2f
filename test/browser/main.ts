// Runs the shared kernel cases on the page's WebGPU adapter and leaves the result on window for puppeteer.
import { Engine } from '../../src/runtime/engine.ts';
import { runCases } from './cases.ts';

declare global {
  interface Window {
    __stylegpu?: { adapter?: string; subgroups?: string; results?: Record<string, number[]>; error?: string };
  }
}

const log = document.getElementById('log')!;
try {
  const engine = await Engine.create();
  const results = await runCases(engine);
  const { features, subgroupSize } = engine.ctx;
  const subgroups = features.has('subgroups') ? `subgroups of ${subgroupSize.min}–${subgroupSize.max} invocations` : 'no subgroups';
  window.__stylegpu = { adapter: engine.describe(), subgroups, results };
  log.textContent = `done on ${engine.describe()}`;
} catch (e) {
  window.__stylegpu = { error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) };
  log.textContent = window.__stylegpu.error!;
}
