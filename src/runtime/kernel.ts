// Declarative kernels (after ORT-web's ProgramInfo): a shader module is one .wgsl file plus the uniform
// structs it uses; a kernel is one entry point of it with its bindings by name, its override constants
// (workgroup size, tile shape) and its uniform struct. Models and kernel wrappers never touch WebGPU.
import type { Engine } from './engine.ts';
import type { Shape, Tensor } from './tensor.ts';
import type { UniformFields, UniformStruct, UniformValues } from './uniforms.ts';
import type { Defines } from './wgsl.ts';

export interface ShaderModuleSpec {
  /** Family name, e.g. 'elementwise' (labels, errors). */
  readonly name: string;
  /** Text of shaders/<name>.wgsl. */
  readonly source: string;
  /** Uniform structs prepended to the source, generated from their schemas. */
  readonly structs: readonly UniformStruct[];
  /** Texts of shared helper files (shaders/*.wgsl) several families use, prepended after common.wgsl and
   *  preprocessed with the same defines as the module. */
  readonly includes: readonly string[];
}

export interface KernelSpec<F extends UniformFields = UniformFields> {
  readonly module: ShaderModuleSpec;
  readonly entryPoint: string;
  /** `family.entryPoint`, used in labels and error messages. */
  readonly name: string;
  /** Storage bindings this entry point uses, by their WGSL variable names. */
  readonly bindings: readonly string[];
  /** Uniform struct bound to the module's `var<uniform>` of that struct type. */
  readonly uniforms?: UniformStruct<F>;
  /** Pipeline-overridable constants (`override WG: u32`): workgroup size, tile shape. */
  readonly constants: Readonly<Record<string, number>>;
  /** Preprocessor defines this kernel always uses (a run's own defines are merged over them). */
  readonly defines: Readonly<Defines>;
}

export function shaderModule(name: string, source: string, structs: readonly UniformStruct[] = [], includes: readonly string[] = []): ShaderModuleSpec {
  return { name, source, structs, includes };
}

export function kernel<F extends UniformFields>(
  module: ShaderModuleSpec,
  spec: {
    entryPoint: string;
    /** The name after `family.` when one entry point serves several kernels by define (default the entry point). */
    name?: string;
    bindings: readonly string[];
    uniforms?: UniformStruct<F>;
    constants?: Record<string, number>;
    defines?: Defines;
  },
): KernelSpec<F> {
  if (spec.uniforms && !module.structs.includes(spec.uniforms)) {
    throw new Error(`kernel ${module.name}.${spec.entryPoint}: uniform struct ${spec.uniforms.name} is not declared by module ${module.name}`);
  }
  return {
    module,
    entryPoint: spec.entryPoint,
    name: `${module.name}.${spec.name ?? spec.entryPoint}`,
    bindings: spec.bindings,
    uniforms: spec.uniforms,
    constants: spec.constants ?? {},
    defines: spec.defines ?? {},
  };
}

/** Workgroup counts for `n` invocations of a 1-D kernel with `workgroupSize` threads, folded into y when x
 *  would pass `maxPerDimension`. Shaders recover the flat index as gid.x + gid.y · (num_workgroups.x · WG). */
export function grid1d(n: number, workgroupSize: number, maxPerDimension = 65535): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroupSize));
  if (groups <= maxPerDimension) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDimension);
  if (y > maxPerDimension) throw new Error(`grid1d: ${n} invocations need more than ${maxPerDimension}² workgroups`);
  return [Math.ceil(groups / y), y, 1];
}

/** Runs a 1-D kernel of `invocations` invocations (workgroups of its constant WG, grid1d) that writes the
 *  binding `out`, a new tensor of `shape`, which it returns. */
export function runInto<F extends UniformFields>(
  e: Engine, k: KernelSpec<F>, shape: Shape, bindings: Record<string, Tensor>, uniforms: UniformValues<F>, invocations: number, defines?: Defines,
): Tensor {
  const workgroupSize = k.constants.WG;
  if (!workgroupSize) throw new Error(`kernel ${k.name}: runInto needs the workgroup size as override constant WG`);
  const out = e.empty(shape);
  const workgroups = grid1d(invocations, workgroupSize, e.ctx.limits.maxComputeWorkgroupsPerDimension);
  e.run(k, { bindings: { ...bindings, out }, uniforms, workgroups, defines });
  return out;
}

/** A memoised kernel-spec factory: `make` runs once per distinct argument list (compared as JSON), so the
 *  pipeline cache sees one spec object per variant (entry point, bindings, override constants). */
export function kernelVariants<A extends unknown[], K>(make: (...args: A) => K): (...args: A) => K {
  const specs = new Map<string, K>();
  return (...args: A) => {
    const key = JSON.stringify(args);
    let k = specs.get(key);
    if (!k) specs.set(key, (k = make(...args)));
    return k;
  };
}
