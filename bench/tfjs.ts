// tfjs-webgpu, the baseline beside our kernels, started on the adapter the engine uses: in Node and in a page.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Tfjs } from './kernels.ts';

/** Node: tfjs-webgpu finds WebGPU through navigator.gpu; give it the engine's Dawn instance, hence its adapter. */
export async function tfjsOnDawn(gpu: GPU): Promise<Tfjs> {
  (globalThis as { navigator?: unknown }).navigator = { gpu };
  const core = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  await core.setBackend('webgpu');
  await core.ready();
  return core as unknown as Tfjs;
}

/** A page (the caller imports tfjs-core and tfjs-backend-webgpu): tfjs-webgpu asks for the default adapter only, so
 *  offer it the fallback one as the engine does (src/runtime/device.ts), and both run on the same adapter. */
export async function tfjsInPage(tf: typeof TfCore): Promise<Tfjs> {
  const gpu = navigator.gpu;
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (o) => (await requestAdapter(o)) ?? (await requestAdapter({ ...o, forceFallbackAdapter: true }));
  await tf.setBackend('webgpu');
  await tf.ready();
  return tf as unknown as Tfjs;
}
