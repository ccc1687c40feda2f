// Pipeline cache: one compiled pipeline per (shader source after preprocessing, entry point, override
// constants). Shapes never enter the key: they travel in uniforms.
import type { KernelSpec, ShaderModuleSpec } from './kernel.ts';
import { type BindingDecl, type Defines, parseBindings, preprocess } from './wgsl.ts';
import commonWgsl from '../../shaders/common.wgsl?raw';

const ENABLE_DIRECTIVE = /^[ \t]*enable[ \t]+[\w, \t]+;[ \t]*$/gm;

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** Binding index per storage binding name, and the uniform's binding (if any). */
  storage: { name: string; binding: number; kind: BindingDecl['kind'] }[];
  uniformBinding?: number;
  /** Resolves to an error message if compilation failed (collected by the engine). */
  check: Promise<string | undefined>;
}

interface CompiledModule {
  code: string;
  module: GPUShaderModule;
  decls: Map<string, BindingDecl>;
}

export class PipelineCache {
  private modules = new Map<string, CompiledModule>();
  private pipelines = new Map<string, CompiledKernel>();
  /** Source texts per (module spec, defines) so preprocessing runs once. */
  private sources = new WeakMap<ShaderModuleSpec, Map<string, string>>();
  compiled = 0;

  constructor(private device: GPUDevice) {}

  /** The full WGSL text of a module for these defines: generated structs + common helpers + its includes +
   *  the file. */
  source(spec: ShaderModuleSpec, defines: Defines = {}): string {
    let perDefines = this.sources.get(spec);
    if (!perDefines) this.sources.set(spec, (perDefines = new Map()));
    const dkey = definesKey(defines);
    let code = perDefines.get(dkey);
    if (code === undefined) {
      const structs = spec.structs.map((s) => s.wgsl).join('\n');
      // WGSL wants `enable` directives before any declaration, so they move above the prepended parts.
      const body = preprocess(spec.source, defines);
      const includes = spec.includes.map((text) => `${preprocess(text, defines)}\n`).join('');
      const enables = body.match(ENABLE_DIRECTIVE) ?? [];
      code = `${enables.map((d) => d.trim()).join('\n')}${enables.length ? '\n' : ''}// ---- generated from uniform schemas (src/kernels/${spec.name}.ts)\n${structs}\n${commonWgsl}\n${includes}// ---- shaders/${spec.name}.wgsl\n${body.replace(ENABLE_DIRECTIVE, '')}`;
      perDefines.set(dkey, code);
    }
    return code;
  }

  get(kernel: KernelSpec, defines: Defines = {}): CompiledKernel {
    const code = this.source(kernel.module, defines);
    const key = `${kernel.entryPoint}|${JSON.stringify(kernel.constants)}|${code}`;
    let hit = this.pipelines.get(key);
    if (!hit) {
      hit = this.compile(kernel, code);
      this.pipelines.set(key, hit);
    }
    return hit;
  }

  private compile(kernel: KernelSpec, code: string): CompiledKernel {
    const device = this.device;
    let mod = this.modules.get(code);
    const errors: Promise<GPUError | null>[] = [];
    if (!mod) {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code, label: kernel.module.name });
      errors.push(device.popErrorScope());
      mod = { code, module, decls: parseBindings(code) };
      this.modules.set(code, mod);
    }
    const storage = kernel.bindings.map((name) => {
      const d = mod!.decls.get(name);
      if (!d || d.kind === 'uniform') throw new Error(`kernel ${kernel.name}: no storage binding named '${name}' in shaders/${kernel.module.name}.wgsl`);
      return { name, binding: d.binding, kind: d.kind };
    });
    let uniformBinding: number | undefined;
    if (kernel.uniforms) {
      const d = [...mod.decls.values()].find((b) => b.kind === 'uniform' && b.type === kernel.uniforms!.name);
      if (!d) throw new Error(`kernel ${kernel.name}: shaders/${kernel.module.name}.wgsl declares no var<uniform> of type ${kernel.uniforms.name}`);
      uniformBinding = d.binding;
    }
    const entries: GPUBindGroupLayoutEntry[] = storage.map((s) => ({
      binding: s.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: s.kind as GPUBufferBindingType },
    }));
    if (uniformBinding !== undefined) {
      entries.push({ binding: uniformBinding, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    }
    device.pushErrorScope('validation');
    const layout = device.createBindGroupLayout({ entries, label: kernel.name });
    const pipeline = device.createComputePipeline({
      label: kernel.name,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout], label: kernel.name }),
      compute: { module: mod.module, entryPoint: kernel.entryPoint, constants: { ...kernel.constants } },
    });
    errors.push(device.popErrorScope());
    this.compiled++;
    const module = mod.module;
    const check = Promise.all(errors).then(async (errs) => {
      const err = errs.find((e) => e);
      if (!err) return undefined;
      const info = await module.getCompilationInfo();
      const lines = info.messages.map((m) => `  ${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
      return `kernel ${kernel.name}: pipeline creation failed: ${err.message}${lines ? '\n' + lines : ''}`;
    });
    return { pipeline, layout, storage, uniformBinding, check };
  }
}

function definesKey(d: Defines): string {
  return Object.keys(d).sort().map((k) => `${k}=${d[k] ? 1 : 0}`).join(',');
}
