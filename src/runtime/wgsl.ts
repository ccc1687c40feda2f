// WGSL source handling: conditional compilation through wgsl-preprocessor, and reading the binding
// declarations of a module so kernels refer to bindings by name (never by position).
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

export type Defines = Record<string, boolean>;

const DIRECTIVE = /^[ \t]*#(if|elif)[ \t]+([A-Za-z_][A-Za-z0-9_]*)/gm;
const DIRECTIVE_LINE = /^[ \t]*#(if|elif|else|endif)\b/;
const HASH = '\u0000';

/**
 * Resolve `#if NAME` / `#elif NAME` / `#else` / `#endif` lines of a .wgsl file with the given defines.
 * Only lines that start with a directive count: a `#` anywhere else (in a comment, say) is left alone.
 * The names after #if become the values of wgsl-preprocessor's tagged template.
 */
export function preprocess(source: string, defines: Defines = {}): string {
  // wgsl-preprocessor reads every '#' as a directive, so hide the ones that are not.
  const text = source
    .split('\n')
    .map((line) => (DIRECTIVE_LINE.test(line) ? line : line.replaceAll('#', HASH)))
    .join('\n');
  const strings: string[] = [];
  const values: boolean[] = [];
  let last = 0;
  for (const m of text.matchAll(DIRECTIVE)) {
    const name = m[2];
    if (!(name in defines)) throw new Error(`WGSL preprocessor: '#${m[1]} ${name}' but no define named ${name} was given`);
    const directiveEnd = m.index! + m[0].length - name.length;
    strings.push(text.slice(last, directiveEnd).trimEnd() + ' ');
    values.push(defines[name]);
    last = m.index! + m[0].length;
  }
  strings.push(text.slice(last));
  const raw = Object.assign([...strings], { raw: strings });
  return wgsl(raw as unknown as TemplateStringsArray, ...values).replaceAll(HASH, '#');
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
