// The page's engine: WebGPU from navigator.gpu (or the page's own device), with the errors a page can act on.
import { type AdapterProfile, type GpuContext, NO_ADAPTER_HELP_BROWSER, createDevice, detectProfile, requestedProfile } from '../runtime/device.ts';
import { Engine } from '../runtime/engine.ts';
import { NoWebGpuError } from './errors.ts';

export interface EngineOptions {
  /** Run on this device (and the adapter it came from) instead of one of stylegpu's own. */
  gpu?: { adapter: GPUAdapter; device: GPUDevice };
  powerPreference?: GPUPowerPreference;
  /** Kernel-preference profile ('cpu' for software adapters, 'gpu'); default: detected from the adapter. */
  profile?: AdapterProfile;
}

function contextOf(adapter: GPUAdapter, device: GPUDevice, profile?: AdapterProfile): GpuContext {
  const info = device.adapterInfo ?? adapter.info;
  const adapterInfo = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, host: 'browser' as const };
  const features = new Set<string>(device.features);
  const sizes = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number; isFallbackAdapter?: boolean };
  const subgroupSize = features.has('subgroups') ? { min: sizes.subgroupMinSize ?? 0, max: sizes.subgroupMaxSize ?? 0 } : { min: 0, max: 0 };
  const detectedProfile = detectProfile(adapterInfo, !!sizes.isFallbackAdapter);
  return { gpu: navigator.gpu, device, adapter, adapterInfo, limits: device.limits, features, subgroupSize, profile: requestedProfile(profile) ?? detectedProfile, detectedProfile };
}

/** A WebGPU engine for this page; NoWebGpuError when the browser has none. */
export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  if (opts.gpu) return new Engine(contextOf(opts.gpu.adapter, opts.gpu.device, opts.profile));
  if (typeof navigator === 'undefined' || !navigator.gpu) throw new NoWebGpuError(NO_ADAPTER_HELP_BROWSER);
  try {
    return new Engine(await createDevice({ powerPreference: opts.powerPreference, profile: opts.profile }));
  } catch (e) {
    throw (e as Error)?.message === NO_ADAPTER_HELP_BROWSER ? new NoWebGpuError(NO_ADAPTER_HELP_BROWSER) : e;
  }
}
