// One engine per test file. No adapter is a failure with instructions, never a skip.
import { afterAll, beforeAll } from 'vitest';
import { Engine } from '../../src/runtime/engine.ts';

export function useEngine(): () => Engine {
  let engine: Engine | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      engine = await Engine.create();
    } catch (e) {
      failure = e;
    }
  });
  afterAll(async () => {
    await engine?.destroy();
  });
  return () => {
    if (!engine) throw new Error(`no WebGPU device for this test: ${failure instanceof Error ? failure.message : String(failure)}`);
    return engine;
  };
}
