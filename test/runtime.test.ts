import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { add, addKernel, fillKernel, scale } from '../src/kernels/elementwise.ts';
import { conv2d } from '../src/kernels/conv2d.ts';
import { PROFILE_ENV, detectProfile, requestedProfile } from '../src/runtime/device.ts';
import { GpuError } from '../src/runtime/engine.ts';
import { formatKernelTimes, KernelProfiler } from '../src/runtime/profiler.ts';
import { grid1d, kernel, shaderModule } from '../src/runtime/kernel.ts';
import { sizeClass } from '../src/runtime/pool.ts';
import { derivedKey } from '../src/runtime/tensor.ts';
import { uniformStruct } from '../src/runtime/uniforms.ts';
import { parseBindings, preprocess } from '../src/runtime/wgsl.ts';
import { useEngine } from './helpers/gpu.ts';
import { uniform } from './helpers/random.ts';

const engine = useEngine();

describe('uniform schema', () => {
  const S = uniformStruct('TestParams', { n: 'u32', offset: 'i32', alpha: 'f32' });

  it('yields the WGSL struct and the packed bytes from one declaration', () => {
    expect(S.wgsl).toBe('struct TestParams {\n  n: u32,\n  offset: i32,\n  alpha: f32,\n}\n');
    expect(S.sizeBytes).toBe(16);
    const view = new DataView(S.pack({ n: 7, offset: -3, alpha: 0.5 }));
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true)]).toEqual([7, -3, 0.5]);
  });

  it('rejects values that do not fit the field type', () => {
    expect(() => S.pack({ n: -1, offset: 0, alpha: 0 })).toThrow(/TestParams\.n: -1 is not a u32/);
    expect(() => S.pack({ n: 1.5, offset: 0, alpha: 0 })).toThrow(/not a u32/);
    expect(() => S.pack({ n: 1, offset: 2 ** 31, alpha: 0 })).toThrow(/not an i32/);
  });
});

describe('WGSL preprocessing and binding declarations', () => {
  const src = 'fn f() -> f32 {\n#if FAST\n  return 1.0;\n#else\n  return 2.0;\n#endif\n}\n';

  it('resolves #if/#else with defines', () => {
    expect(preprocess(src, { FAST: true })).toContain('return 1.0;');
    expect(preprocess(src, { FAST: true })).not.toContain('return 2.0;');
    expect(preprocess(src, { FAST: false })).toContain('return 2.0;');
  });

  it('leaves a # outside directive lines alone', () => {
    const commented = '// fused when #if RELU is set; see #else below\n' + src;
    const out = preprocess(commented, { FAST: false });
    expect(out).toContain('// fused when #if RELU is set; see #else below');
    expect(out).toContain('return 2.0;');
  });

  it('names a define that was not given', () => {
    expect(() => preprocess(src, {})).toThrow(/#if FAST.*no define named FAST/);
  });

  it('reads bindings by name', () => {
    const b = parseBindings('@group(0) @binding(2) var<storage, read_write> out: array<f32>;\n// @group(0) @binding(9) var<storage, read> gone: array<f32>;\n@group(0) @binding(0) var<uniform> params: P;');
    expect([...b.keys()].sort()).toEqual(['out', 'params']);
    expect(b.get('out')).toMatchObject({ binding: 2, kind: 'storage' });
    expect(b.get('params')).toMatchObject({ binding: 0, kind: 'uniform', type: 'P' });
  });
});

describe('module includes', () => {
  it('are preprocessed with the module\'s defines and placed before its file', async () => {
    const e = engine();
    const include = '// ---- test include\n#if HALF\nfn factor() -> f32 { return 0.5; }\n#else\nfn factor() -> f32 { return 2.0; }\n#endif\n';
    const body = '@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n@compute @workgroup_size(1) fn main() { out[0] = factor(); }\n';
    const module = shaderModule('includeTest', body, [], [include]);
    const k = kernel(module, { entryPoint: 'main', bindings: ['out'] });
    const code = e.pipelines.source(module, { HALF: true });
    expect(code.indexOf('return 0.5;')).toBeGreaterThan(-1);
    expect(code).not.toContain('return 2.0;');
    expect(code.indexOf('// ---- test include')).toBeLessThan(code.indexOf('// ---- shaders/includeTest.wgsl'));
    for (const HALF of [true, false]) {
      const out = e.zeros([1]);
      e.run(k, { bindings: { out }, workgroups: [1], defines: { HALF } });
      expect((await out.read())[0]).toBe(HALF ? 0.5 : 2);
    }
  });
});

describe('grid1d', () => {
  it('folds large counts into y and covers every invocation', () => {
    expect(grid1d(1, 64)).toEqual([1, 1, 1]);
    expect(grid1d(65, 64)).toEqual([2, 1, 1]);
    const [x, y] = grid1d(64 * 70000 + 1, 64, 65535);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y * 64).toBeGreaterThanOrEqual(64 * 70000 + 1);
  });
});

describe('buffer pool', () => {
  it('uses quarter-octave size classes', () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(1024)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    expect(sizeClass(1700)).toBe(1792);
    expect(sizeClass(1800)).toBe(2048);
  });

  it('reuses released buffers and tracks live and peak bytes', () => {
    const e = engine();
    const stats = e.pool.stats;
    const live0 = stats.liveBytes;
    e.pool.resetPeak();
    const a = e.empty([1000]);
    const created = stats.created;
    expect(stats.liveBytes - live0).toBe(sizeClass(4000));
    a.release();
    const b = e.empty([990]); // same class as 1000 floats
    expect(stats.created).toBe(created);
    expect(b.buffer).toBeDefined();
    expect(stats.peakLiveBytes - live0).toBe(sizeClass(4000));
    b.release();
    expect(stats.liveBytes).toBe(live0);
    expect(() => b.buffer).toThrow(/used after release/);
  });
});

describe('tensor views', () => {
  it('reshape shares the buffer, never frees it, and dies with its base', async () => {
    const e = engine();
    const x = e.tensor([2, 3], [1, 2, 3, 4, 5, 6]);
    const v = x.reshape([3, 2]);
    expect(v.shape).toEqual([3, 2]);
    expect(Array.from(await v.read())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => x.reshape([4])).toThrow('reshape: [2, 3] has 6 elements, [4] has 4');
    const live = e.pool.stats.liveBytes;
    v.release();
    expect(e.pool.stats.liveBytes).toBe(live);
    expect(Array.from(await x.read())).toEqual([1, 2, 3, 4, 5, 6]);
    const w = x.reshape([6]);
    x.release();
    expect(w.released).toBe(true);
    expect(() => w.buffer).toThrow(/used after release/);
  });
});

describe('derived tensors', () => {
  it('are computed once, afresh after the source changes, and released with it', async () => {
    const e = engine();
    const x = e.tensor([3], [1, 2, 3]);
    let made = 0;
    const twice = () => x.derived(derivedKey('twice'), () => {
      made++;
      return scale(e, x, 2);
    });
    const a = twice();
    expect(twice()).toBe(a);
    expect(made).toBe(1);
    expect(Array.from(await a.read())).toEqual([2, 4, 6]);
    x.write([5, 6, 7]); // Engine.write
    expect(Array.from(await twice().read())).toEqual([10, 12, 14]);
    expect(a.released).toBe(true);
    e.run(fillKernel, { bindings: { out: x.reshape([1, 3]) }, uniforms: { n: 3, alpha: 1 }, workgroups: [1] }); // a kernel writing a view
    expect(Array.from(await twice().read())).toEqual([2, 2, 2]);
    expect(made).toBe(3);
    const last = twice();
    x.release();
    expect(last.released).toBe(true);
  });
});

describe('pipeline cache and batching', () => {
  it('compiles one pipeline per kernel and layout whatever the shapes', async () => {
    const e = engine();
    const before = e.pipelines.compiled;
    // Sizes that are multiples of 4 run as vec4 (define VEC4), the others element by element: two variants.
    for (const n of [3, 301, 3001, 300, 3000, 8]) {
      const x = e.tensor([n], new Float32Array(n).fill(1));
      const y = add(e, x, x);
      expect((await y.read())[n - 1]).toBe(2);
    }
    expect(e.pipelines.compiled - before).toBeLessThanOrEqual(2);
    e.pipelines.get(addKernel, addKernel.defines);
    e.pipelines.get(addKernel, { ...addKernel.defines, VEC4: true });
    expect(e.pipelines.compiled - before).toBeLessThanOrEqual(2);
  });

  it('submits many dispatches at once and reads back only when asked', async () => {
    const e = engine();
    const x = e.tensor([64], new Float32Array(64).fill(1));
    await e.sync();
    const { submits, readbackBytes } = e.stats;
    let y = x;
    for (let i = 0; i < 20; i++) y = add(e, y, x);
    expect(e.stats.submits).toBe(submits);
    const out = await y.read();
    expect(out[63]).toBe(21);
    expect(e.stats.submits - submits).toBe(2); // the batch, then the copy to the read-back buffer
    expect(e.stats.readbackBytes - readbackBytes).toBe(256);
  });
});

describe('kernel profiling', () => {
  it('times every dispatch on the GPU, per kernel, across batches', async () => {
    const e = engine();
    if (e.ctx.adapterInfo.host === 'node-dawn' && /llvmpipe/.test(e.ctx.adapterInfo.device)) expect(e.ctx.features.has('timestamp-query')).toBe(true);
    if (!e.ctx.features.has('timestamp-query')) {
      expect(() => e.startProfiling(KernelProfiler.create)).toThrow(/no 'timestamp-query' feature/);
      return;
    }
    await expect(e.stopProfiling()).rejects.toThrow(/not profiling/);
    const x = e.tensor([1, 32, 64, 64], uniform(32 * 64 * 64, 1));
    const w = e.tensor([32, 32, 3, 3], uniform(32 * 32 * 9, 2));
    const small = e.tensor([16], new Float32Array(16).fill(1));
    await e.sync();
    const before = { ...e.stats.byKernel };
    const t0 = performance.now();
    e.startProfiling(KernelProfiler.create);
    expect(() => e.startProfiling(KernelProfiler.create)).toThrow(/already profiling/);
    const y = conv2d(e, x, w, { padding: 1, impl: 'conv2dNaive' });
    let s = small;
    for (let i = 0; i < 600; i++) s = add(e, s, small); // more dispatches than one batch holds
    const times = await e.stopProfiling();
    const wallMs = performance.now() - t0;
    const ran = Object.fromEntries(Object.entries(e.stats.byKernel).map(([k, n]) => [k, n - (before[k] ?? 0)]).filter(([, n]) => n));
    expect(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.dispatches]))).toEqual(ran);
    expect(times['conv2d.conv2dNaive'].ms).toBeGreaterThan(0);
    const total = Object.values(times).reduce((sum, v) => sum + v.ms, 0);
    expect(total).toBeLessThanOrEqual(wallMs);
    expect(formatKernelTimes(times)).toMatch(/conv2d\.conv2dNaive +\d+\.\d ms/);
    expect((await s.read())[0]).toBe(601);
    y.release();
  });
});

describe('errors', () => {
  it('a tensor over the device limits fails up front with the size and the limit', () => {
    const e = engine();
    const limit = Math.min(e.ctx.limits.maxStorageBufferBindingSize, e.ctx.limits.maxBufferSize);
    const side = Math.ceil(Math.sqrt(limit / 4 / 3)) + 1;
    expect(() => e.empty([1, 3, side, side])).toThrow(new RegExp(`tensor \\[1, 3, ${side}, ${side}\\] f32 needs .* more than this device allows .*${limit} bytes`));
  });

  it('a shader that does not compile is reported with the kernel name and the line', async () => {
    const e = engine();
    const P = uniformStruct('BrokenParams', { n: 'u32' });
    const broken = kernel(
      shaderModule('broken', '@group(0) @binding(0) var<uniform> params: BrokenParams;\n@group(0) @binding(1) var<storage, read_write> out: array<f32>;\n@compute @workgroup_size(1) fn main() { out[0] = undefinedThing; }\n', [P]),
      { entryPoint: 'main', bindings: ['out'], uniforms: P },
    );
    const out = e.empty([1]);
    e.run(broken, { bindings: { out }, uniforms: { n: 1 }, workgroups: [1] });
    await expect(e.sync()).rejects.toThrow(/kernel broken\.main: pipeline creation failed[\s\S]*error at line \d+/);
  });

  it('a validation error at submit is thrown naming the kernels of the batch', async () => {
    const e = engine();
    const x = e.tensor([8], new Float32Array(8));
    // The same buffer as input and output of one dispatch is a writable-aliasing violation.
    e.run(addKernel, { bindings: { a: x, b: x, out: x }, uniforms: { n: 8, alpha: 0 }, workgroups: [1] });
    await expect(e.sync()).rejects.toThrow(GpuError);
    const y = add(e, x, x);
    await expect(y.read()).resolves.toHaveLength(8); // the engine keeps working afterwards
  });

  it('a binding the kernel does not declare is named', () => {
    const e = engine();
    const x = e.tensor([4], [1, 2, 3, 4]);
    expect(() => e.run(addKernel, { bindings: { a: x, out: x }, uniforms: { n: 4, alpha: 0 }, workgroups: [1] })).toThrow(/kernel elementwise\.add: binding 'b' not given/);
  });
});

describe('device', () => {
  it('describes the adapter and has raised the storage limits to the adapter maximum', () => {
    const e = engine();
    expect(e.describe()).toMatch(/\[node-dawn\]$/);
    expect(e.ctx.limits.maxStorageBufferBindingSize).toBe(e.ctx.adapter.limits.maxStorageBufferBindingSize);
    expect(e.ctx.limits.maxComputeInvocationsPerWorkgroup).toBe(e.ctx.adapter.limits.maxComputeInvocationsPerWorkgroup);
  });

  it('without a Vulkan driver the CLI says how to install one', async () => {
    const run = promisify(execFile);
    const result = await run('node', ['bin/stylegpu.js', 'info'], { env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' } }).catch((e) => e);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/No WebGPU adapter found.*scripts\/setup\.sh/);
  });

  it('device loss becomes an error naming the last kernel', async () => {
    const { Engine } = await import('../src/runtime/engine.ts');
    const e = await Engine.create();
    const x = e.tensor([4], [1, 2, 3, 4]);
    add(e, x, x);
    await e.sync();
    e.device.destroy();
    await e.device.lost;
    expect(() => add(e, x, x)).toThrow(/GPU device lost \(destroyed\).*last kernel recorded: elementwise\.add/);
  });
});

describe('adapter profiles', () => {
  it("detects software adapters as 'cpu', anything else as 'gpu'", () => {
    const info = (device: string, architecture = '') => ({ architecture, device, description: '' });
    expect(detectProfile(info('llvmpipe (LLVM 19.1.7, 256 bits)'))).toBe('cpu');
    expect(detectProfile(info('SwiftShader Device (Subzero)'))).toBe('cpu');
    expect(detectProfile(info('', 'software'))).toBe('cpu');
    expect(detectProfile(info('NVIDIA H100 80GB HBM3', 'hopper'))).toBe('gpu');
    expect(detectProfile(info('whatever'), true)).toBe('cpu');
  });

  it('the engine option overrides STYLEGPU_PROFILE, which overrides detection; unknown names fail', async () => {
    const saved = process.env[PROFILE_ENV];
    try {
      process.env[PROFILE_ENV] = 'gpu';
      expect(requestedProfile()).toBe('gpu');
      expect(requestedProfile('cpu')).toBe('cpu');
      process.env[PROFILE_ENV] = 'tpu';
      expect(() => requestedProfile()).toThrow(/STYLEGPU_PROFILE: unknown adapter profile 'tpu'; use cpu or gpu/);
      delete process.env[PROFILE_ENV];
      expect(requestedProfile()).toBeUndefined();
      expect(() => requestedProfile('fast')).toThrow(/profile option: unknown adapter profile 'fast'/);
    } finally {
      if (saved === undefined) delete process.env[PROFILE_ENV];
      else process.env[PROFILE_ENV] = saved;
    }
    const e = engine();
    const other = e.ctx.detectedProfile === 'cpu' ? 'gpu' : 'cpu';
    const { Engine } = await import('../src/runtime/engine.ts');
    const forced = await Engine.create({ profile: other });
    expect(forced.ctx.profile).toBe(other);
    expect(forced.ctx.detectedProfile).toBe(e.ctx.detectedProfile);
    expect(forced.describe()).toContain(`kernel profile '${other}'`);
    await forced.destroy();
  });
});
