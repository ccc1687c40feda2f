// The page build's WGSL minifier (scripts/build.mjs) may drop comments and spaces only: every shader keeps the
// same tokens in the same order, and the preprocessor's directive lines stay as they were. (test/package-e2e.test.ts
// runs the minified kernels of the two pages in Chromium against Node.)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/package.ts';

const { minifyWgsl } = (await import(join(REPO, 'scripts/build.mjs'))) as { minifyWgsl: (source: string) => string };

/** WGSL's tokens as its tokenizer splits them, near enough: maximal runs of word characters, of operator
 *  characters, and single punctuation; a space the minifier removed between two tokens that would then fuse
 *  (`a b` → `ab`, `- -` → `--`, `/ /` → `//`) changes this list. */
const tokens = (wgsl: string) => wgsl.match(/[A-Za-z0-9_]+|[-+*/%&|^<>=!~.]+|\S/g) ?? [];
const withoutComments = (wgsl: string) => wgsl.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
const directives = (wgsl: string) => wgsl.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('#'));

const SHADERS = [
  ...readdirSync(join(REPO, 'shaders')).map((f) => join('shaders', f)),
  ...readdirSync(join(REPO, 'src/web')).filter((f) => f.endsWith('.wgsl')).map((f) => join('src/web', f)),
];

describe('minifyWgsl', () => {
  it('keeps every token and directive of every shader, and drops most of the rest', () => {
    expect(SHADERS.length).toBeGreaterThan(20);
    let before = 0;
    let after = 0;
    for (const file of SHADERS) {
      const source = readFileSync(join(REPO, file), 'utf8');
      const min = minifyWgsl(source);
      expect(tokens(min), file).toEqual(tokens(withoutComments(source)));
      expect(directives(min), file).toEqual(directives(withoutComments(source)));
      before += source.length;
      after += min.length;
    }
    expect(after).toBeLessThan(0.6 * before);
  });

  it('keeps the spaces that separate tokens', () => {
    const source = 'fn f(a: i32) -> i32 { // why\n  let b = a - -a; /* 2a */\n#if SHIFT\n  return b >> 1u / / 2;\n#endif\n  return b; }';
    expect(minifyWgsl(source)).toBe('fn f(a:i32)->i32{\nlet b=a- -a;\n#if SHIFT\nreturn b>>1u/ /2;\n#endif\nreturn b;}');
  });
});
