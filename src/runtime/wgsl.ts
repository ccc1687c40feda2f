// WGSL source handling: conditional compilation through wgsl-preprocessor, and reading the binding
// declarations of a module so kernels refer to bindings by name (never by position).
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

export type Defines = Record<string, boolean>;

const DIRECTIVE = /#(if|elif)\s+([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Resolve `#if NAME` / `#elif NAME` / `#else` / `#endif` in a .wgsl file with the given defines.
 * The file keeps plain names after #if; they become the values of wgsl-preprocessor's tagged template.
 */
export function preprocess(source: string, defines: Defines = {}): string {
  const strings: string[] = [];
  const values: boolean[] = [];
  let last = 0;
  for (const m of source.matchAll(DIRECTIVE)) {
    const name = m[2];
    if (!(name in defines)) throw new Error(`WGSL preprocessor: '#${m[1]} ${name}' but no define named ${name} was given`);
    strings.push(source.slice(last, m.index! + 1 + m[1].length) + ' ');
    values.push(defines[name]);
    last = m.index! + m[0].length;
  }
  strings.push(source.slice(last));
  const raw = Object.assign([...strings], { raw: strings });
  return wgsl(raw as unknown as TemplateStringsArray, ...values);
}

export interface BindingDecl {
  name: string;
  binding: number;
  kind: 'uniform' | 'read-only-storage' | 'storage';
  /** For uniforms: the struct type name. */
  type: string;
}

const BINDING = /@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*<\s*(uniform|storage)\s*(?:,\s*(read|read_write)\s*)?>\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^;]+);/g;

/** The group-0 bindings a (preprocessed) module declares, by name. */
export function parseBindings(source: string): Map<string, BindingDecl> {
  const out = new Map<string, BindingDecl>();
  const code = source.replace(/\/\/[^\n]*/g, '');
  for (const m of code.matchAll(BINDING)) {
    const kind = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'storage' : 'read-only-storage';
    out.set(m[4], { name: m[4], binding: Number(m[1]), kind, type: m[5].trim() });
  }
  return out;
}
