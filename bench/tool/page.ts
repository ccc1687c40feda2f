// What the benchmark tool's Chromium page (bench/tool/browser/) is given, as JSON in its query, and what it leaves
// on window for the Node side to collect: one of the two modes, each measured by the code Node runs with --node.
import type { AdapterProfile } from '../../src/runtime/device.ts';
import type { BenchCase } from './cases.ts';
import type { ModelResult, ModelSettings } from './model.ts';
import type { RunResult, RunSettings } from './run.ts';

export type PageConfig =
  | { mode: 'kernels'; cases: BenchCase[]; settings: RunSettings; profile?: AdapterProfile; tfjs: boolean }
  | { mode: 'model'; work: ModelSettings; profile?: AdapterProfile };

/** The result a mode's run gives: RunResult for kernel cases, ModelResult for a model. */
export type ResultOf<C extends PageConfig> = C extends { mode: 'model' } ? ModelResult : RunResult;

export type PageOutcome = { result: RunResult | ModelResult; error?: undefined } | { error: string; result?: undefined };
