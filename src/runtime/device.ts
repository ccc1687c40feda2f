// getDevice(): one WebGPU device in a browser (navigator.gpu) or in Node (Dawn through the `webgpu`
// npm package), with the adapter's real limits requested instead of the spec defaults.
import { IN_NODE } from '../platform.ts';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Where the device came from: 'node-dawn' or 'browser'. */
  host: 'node-dawn' | 'browser';
}

export interface GpuContext {
  /** The GPU object the adapter came from. Held on purpose: in Node, if Dawn's instance is garbage-collected
   *  while its device lives, Dawn's event loop touches freed memory and the process crashes. */
  gpu: GPU;
  device: GPUDevice;
  adapter: GPUAdapter;
  adapterInfo: AdapterDescription;
  limits: GPUSupportedLimits;
  features: ReadonlySet<string>;
  /** Invocations per subgroup the adapter may use (both 0 when the device has no 'subgroups' feature). */
  subgroupSize: { min: number; max: number };
  /** Whose kernel preferences the planners follow (src/kernels/planner.ts): DeviceOptions.profile, else
   *  STYLEGPU_PROFILE, else detectedProfile. */
  profile: AdapterProfile;
  /** What the adapter is: 'cpu' for a software adapter (lavapipe, SwiftShader), else 'gpu'. */
  detectedProfile: AdapterProfile;
}

/** Kernel-preference profiles: 'cpu' for software adapters running on SIMD CPUs (lavapipe, SwiftShader:
 *  register tiles, subgroup kernels, where barriers are dear), 'gpu' for discrete and integrated GPUs. */
export const ADAPTER_PROFILES = ['cpu', 'gpu'] as const;
export type AdapterProfile = (typeof ADAPTER_PROFILES)[number];

/** The environment variable that overrides the detected profile (tests run each profile's choices on lavapipe). */
export const PROFILE_ENV = 'STYLEGPU_PROFILE';

function checkProfile(value: string, where: string): AdapterProfile {
  if (!(ADAPTER_PROFILES as readonly string[]).includes(value)) throw new Error(`${where}: unknown adapter profile '${value}'; use ${ADAPTER_PROFILES.join(' or ')}`);
  return value as AdapterProfile;
}

/** The profile asked for: `option` (DeviceOptions.profile) else STYLEGPU_PROFILE (Node only) else undefined. */
export function requestedProfile(option?: string): AdapterProfile | undefined {
  if (option !== undefined) return checkProfile(option, 'profile option');
  const env = typeof process !== 'undefined' ? process.env?.[PROFILE_ENV] : undefined;
  return env ? checkProfile(env, PROFILE_ENV) : undefined;
}

/** 'cpu' for a software adapter (a fallback adapter, architecture 'software', or llvmpipe/SwiftShader by
 *  name), else 'gpu'. */
export function detectProfile(info: Pick<AdapterDescription, 'architecture' | 'device' | 'description'>, isFallbackAdapter = false): AdapterProfile {
  const software = isFallbackAdapter || info.architecture === 'software' || /llvmpipe|swiftshader/i.test(`${info.device} ${info.description}`);
  return software ? 'cpu' : 'gpu';
}

export interface DeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Ask for `shader-f16` / `timestamp-query` / `subgroups` when the adapter has them (default true). */
  optionalFeatures?: boolean;
  /** Kernel-preference profile, overriding STYLEGPU_PROFILE and the detected one. */
  profile?: AdapterProfile;
}

/** The limits stylegpu raises to the adapter's maximum; everything else keeps WebGPU's defaults. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const OPTIONAL_FEATURES = ['shader-f16', 'timestamp-query', 'subgroups'] as GPUFeatureName[];

export const NO_ADAPTER_HELP_NODE =
  'No WebGPU adapter found. In Node, stylegpu runs on Dawn (npm package "webgpu") over Vulkan, so it needs a Vulkan ' +
  'driver: on Debian 12 run `bash scripts/setup.sh` as root (installs Mesa lavapipe >= 24 from bookworm-backports and ' +
  'libvulkan1; Debian 12\'s own Mesa 22 is refused by Dawn). With a real GPU, install its vendor Vulkan driver.';
export const NO_ADAPTER_HELP_BROWSER =
  'No WebGPU adapter found: navigator.gpu is missing or returned no adapter. WebGPU needs a secure origin ' +
  '(https:// or http://localhost) and a browser with WebGPU enabled (Chromium: --enable-unsafe-webgpu on Linux).';

async function nodeGpu(): Promise<GPU> {
  // A specifier passed through a function keeps browser bundlers from resolving the Node-only package (a plain
  // constant gets folded into a literal import('webgpu') by a page's bundler), as in weights/source.ts.
  const load = (name: string) => import(/* @vite-ignore */ name);
  const mod = await load('webgpu');
  Object.assign(globalThis, mod.globals);
  return mod.create([]) as GPU;
}

let shared: Promise<GpuContext> | undefined;

/** The process-wide device (created on first use). */
export function getDevice(options: DeviceOptions = {}): Promise<GpuContext> {
  shared ??= createDevice(options).catch((e) => {
    shared = undefined;
    throw e;
  });
  return shared;
}

export async function createDevice(options: DeviceOptions = {}): Promise<GpuContext> {
  const inBrowser = typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu;
  const isNode = IN_NODE && !inBrowser;
  const requested = requestedProfile(options.profile);
  const gpu = isNode ? await nodeGpu() : inBrowser ? navigator.gpu : undefined;
  if (!gpu) throw new Error(NO_ADAPTER_HELP_BROWSER);
  // Software adapters (SwiftShader in headless Chromium) may be offered only as the fallback adapter.
  const adapter =
    (await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' })) ??
    (await gpu.requestAdapter({ forceFallbackAdapter: true }));
  if (!adapter) throw new Error(isNode ? NO_ADAPTER_HELP_NODE : NO_ADAPTER_HELP_BROWSER);

  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const requiredFeatures = (options.optionalFeatures ?? true) ? OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'stylegpu' });

  const info = adapter.info;
  const adapterInfo: AdapterDescription = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    host: isNode ? 'node-dawn' : 'browser',
  };
  const features = new Set<string>(device.features);
  // adapter.info.subgroupMinSize/MaxSize come with the 'subgroups' feature (WebGPU, 2025).
  const sizes = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number; isFallbackAdapter?: boolean };
  const subgroupSize = features.has('subgroups') ? { min: sizes.subgroupMinSize ?? 0, max: sizes.subgroupMaxSize ?? 0 } : { min: 0, max: 0 };
  const detectedProfile = detectProfile(adapterInfo, !!sizes.isFallbackAdapter);
  return { gpu, device, adapter, adapterInfo, limits: device.limits, features, subgroupSize, profile: requested ?? detectedProfile, detectedProfile };
}

/** One line for logs and benchmark tables, e.g. "mesa llvmpipe (LLVM 19.1.7, 256 bits) [node-dawn]". */
export function describeAdapter(a: AdapterDescription): string {
  const parts = [a.vendor, a.architecture, a.device, a.description].filter((s, i, all) => s && all.indexOf(s) === i);
  return `${parts.join(' ') || 'unknown adapter'} [${a.host}]`;
}
