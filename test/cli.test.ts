// The command line as a user runs it (spawned `node bin/stylegpu.js …`): bad options are usage errors (exit 2)
// found before any file is read or the GPU starts, outputs are checked first and written atomically, Ctrl-C
// never destroys an existing file, and the Gatys options that had no test (--save-every, --log-json, --init,
// --original-colors, --pooling, --optimizer adam, --seed) and the examples command do what they say.
// Gatys runs use the tiny random VGG19 in test/fixtures at 32 px; weights that must be real come from the mirror.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readImageFile } from '../src/node/files.ts';
import { ML5_STYLES } from '../src/weights/index.ts';

const root = resolve(__dirname, '..');
const env = { ...process.env, STYLEGPU_WEIGHTS_MIRROR: resolve(root, '../shared/mirror') };
const dir = mkdtempSync(join(tmpdir(), 'stylegpu-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

const CONTENT = 'examples/content/chelsea.png';
const STYLE = 'examples/style/brick.png';
const TINY_VGG = 'test/fixtures/gatys/vgg19_tiny.pth';
const ADAIN = ['--vgg', 'test/fixtures/adain/vgg_normalised.pth', '--decoder', 'test/fixtures/adain/decoder.pth'];
const GATEDGAN = ['--checkpoint', 'test/fixtures/gatedgan/netG.safetensors'];
const gatysArgs = (output: string, ...more: string[]) => ['gatys', '--content', CONTENT, '--style', STYLE, '--weights', TINY_VGG, '--output', output, '--image-size', '32', ...more];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile('node', ['bin/stylegpu.js', ...args], { cwd: root, env }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Spawn the CLI and send SIGINT once `marker` appears on its output. */
function interruptAt(marker: RegExp, args: string[]): Promise<Run & { interrupted: boolean }> {
  return new Promise((done) => {
    const child: ChildProcess = spawn('node', ['bin/stylegpu.js', ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const watch = () => {
      if (!interrupted && marker.test(stdout + stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    };
    child.stdout!.on('data', (d) => ((stdout += d), watch()));
    child.stderr!.on('data', (d) => ((stderr += d), watch()));
    child.on('exit', (code) => done({ code, stdout, stderr, interrupted }));
  });
}

/** A file with known bytes that a failed or interrupted run must leave as it is. */
function existing(name: string): { path: string; untouched: () => boolean } {
  const path = at(name);
  const bytes = Buffer.from(`previous result ${name}`);
  writeFileSync(path, bytes);
  return { path, untouched: () => readFileSync(path).equals(bytes) };
}

const noTemporaryFiles = () => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

describe('usage errors: exit 2, naming the option, the value and what is allowed, before any work', () => {
  const out = existing('kept.png');
  it.each([
    [['--style-weight=-100'], '--style-weight: expected a number ≥ 0, got -100'],
    [['--tv-weight=-1e6'], '--tv-weight: expected a number ≥ 0, got -1000000'],
    [['--content-weight', '-1'], '--content-weight: expected a number ≥ 0, got -1'],
    [['--learning-rate=0'], '--learning-rate: expected a number > 0, got 0'],
    [['--iterations', '-1'], '--iterations: expected an integer ≥ 1, got -1'],
    [['--iterations', '0x20'], "--iterations: expected a decimal number, got '0x20'"],
    [['--image-size', '1'], '--image-size: expected an integer ≥ 16, got 1 (the 4 pooling layers up to relu5_1 halve the image 4 times)'],
    [['--image-size', '1', '--style-layers', 'relu1_1,relu2_1', '--content-layers', 'relu2_2'], '--image-size: expected an integer ≥ 2, got 1'],
    [['--style-scale', '0'], '--style-scale: expected a number > 0, got 0'],
    [['--style-scale', '0.1'], '--style-scale: expected a number ≥ 0.5 at image size 32, got 0.1'],
    [['--optimizer', 'sgd'], "--optimizer: expected one of lbfgs, adam, got 'sgd'"],
    [['--pooling', 'min'], "--pooling: expected one of max, avg, got 'min'"],
    [['--line-search', 'armijo'], "--line-search: expected one of none, strong_wolfe, got 'armijo'"],
    [['--init', 'bogus'], "--init: expected random, content or an image file, got 'bogus' (no such file)"],
    [['--seed', '1.5'], '--seed: expected an integer, got 1.5'],
    [['--style-blend-weights', '1,2'], '--style-blend-weights: expected 1 number ≥ 0 (one per style image) with a positive sum, got [1, 2]'],
    [['--content-layers', 'relu9_9'], "--content-layers: expected VGG19 layer names ("],
  ])('gatys %j', async (flags, message) => {
    const r = await cli(gatysArgs(out.path, ...flags));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`stylegpu gatys: ${message}`);
    expect(r.stderr).not.toMatch(/adapter:/); // the GPU was never started
    expect(out.untouched()).toBe(true);
  });

  it('a 1×1 content image is refused, not blown up to the image size', async () => {
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toFile(at('dot.png'));
    const r = await cli(['gatys', '--content', at('dot.png'), '--style', STYLE, '--weights', TINY_VGG, '--output', out.path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("stylegpu gatys: --content: expected at least 16×16 pixels, got an image of 1×1 (the layers up to relu5_1 need 16 px on each side; a smaller image would only be blown up)");
    expect(out.untouched()).toBe(true);
  });

  it('the error prefix is printed once, a missing option names itself', async () => {
    const r = await cli(['adain', ...ADAIN, '--content', CONTENT, '--style', STYLE]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('stylegpu adain: --output is required');
    const library = await cli(gatysArgs(at('never.png'), '--style', `${STYLE},${STYLE}`, '--style-blend-weights', '0,0'));
    expect(library.stderr).toMatch(/^stylegpu gatys: --style-blend-weights: /m);
    expect(library.stderr).not.toMatch(/gatys: gatys:/);
  });

  it('transfer: an unknown --model lists the nine styles; --image-size below 1 is refused', async () => {
    const r = await cli(['transfer', '--model', 'monet', '--content', CONTENT, '--output', out.path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--model: 'monet' is neither a style (${ML5_STYLES.join(', ')}) nor an existing folder or URL`);
    const size = await cli(['transfer', '--model', 'wave', '--content', CONTENT, '--output', out.path, '--image-size', '0']);
    expect(size.stderr).toContain('--image-size: expected an integer ≥ 1, got 0');
  });

  it('adain and gatedgan state their minimum sizes', async () => {
    const a = await cli(['adain', ...ADAIN, '--content', CONTENT, '--style', STYLE, '--output', out.path, '--image-size', '8']);
    expect([a.code, a.stderr]).toEqual([2, expect.stringContaining('--image-size: expected an integer ≥ 9, got 8 (relu4_1 (⌈H/8⌉) must be at least 2×2')]);
    const alpha = await cli(['adain', ...ADAIN, '--content', CONTENT, '--style', STYLE, '--output', out.path, '--alpha', '-0.5']);
    expect(alpha.stderr).toContain('--alpha: expected a number in [0, 1], got -0.5');
    const g = await cli(['gatedgan', ...GATEDGAN, '--content', CONTENT, '--output', out.path, '--style-weights', '1,0,0,0', '--image-size', '4']);
    expect([g.code, g.stderr]).toEqual([2, expect.stringContaining('--image-size: expected an integer ≥ 5, got 4')]);
    expect(out.untouched()).toBe(true);
  });
});

describe('outputs are checked before any work and never overwrite an input', () => {
  it.each([
    [['--output', CONTENT], `--output: expected a file that is not one of the inputs, got '${CONTENT}'`],
    [['--output', dirname()], `--output: expected a file name, got '${dirname()}' (it is a directory)`],
    [['--output', join(CONTENT, 'out.png')], `(${resolve(root, CONTENT)} is a file, not a folder)`],
    [['--log-json', join(CONTENT, 'log.jsonl')], `--log-json: expected a path whose folder exists or can be created, got '${join(CONTENT, 'log.jsonl')}'`],
    [['--log-json', dirname()], `--log-json: expected a file name, got '${dirname()}' (it is a directory)`],
  ])('gatys %j', async (flags, message) => {
    const before = readFileSync(resolve(root, CONTENT));
    const r = await cli([...gatysArgs(at('unused.png')), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/adapter:|Error: |at .*\.ts:\d+/); // no GPU, no stack trace
    expect(readFileSync(resolve(root, CONTENT)).equals(before)).toBe(true);
  });

  it('the other commands check --output too', async () => {
    for (const args of [
      ['transfer', '--model', 'wave', '--content', CONTENT, '--output', CONTENT],
      ['adain', ...ADAIN, '--content', CONTENT, '--style', STYLE, '--output', STYLE],
      ['gatedgan', ...GATEDGAN, '--content', CONTENT, '--output', dirname(), '--style-weights', '1,0'],
      ['smoke', '--content', CONTENT, '--output', CONTENT],
      ['examples', '--out', resolve(root, CONTENT)],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/adapter:/);
    }
  });
});

function dirname(): string {
  return dir;
}

describe('a truncated PNG', () => {
  it('is named with the decoder\'s complaint, no JavaScript internals', async () => {
    writeFileSync(at('cut.png'), readFileSync(resolve(root, CONTENT)).subarray(0, 2000));
    const r = await cli(['smoke', '--content', at('cut.png'), '--output', at('cut-out.png')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cut\.png: corrupt or unsupported PNG file \(/);
    expect(r.stderr).not.toMatch(/undefined|properties of/);
    expect(existsSync(at('cut-out.png'))).toBe(false);
  });
});

describe('Ctrl-C', () => {
  it('before the first iteration: nothing written, the existing output untouched, exit 130', async () => {
    const out = existing('sigint-early.png');
    const log = existing('sigint-early.jsonl');
    const r = await interruptAt(/adapter:/, gatysArgs(out.path, '--iterations', '50', '--log-json', log.path));
    expect(r.interrupted).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted before (a result|the first iteration): nothing written/);
    expect(out.untouched()).toBe(true);
    expect(log.untouched()).toBe(true);
    noTemporaryFiles();
  }, 60_000);

  it('mid-run: the image reached so far is written atomically, the summary has no NaN, exit 130', async () => {
    const out = existing('sigint-mid.png');
    const r = await interruptAt(/gatys 1\/50/, gatysArgs(out.path, '--iterations', '50', '--optimizer', 'adam'));
    expect(r.code).toBe(130);
    expect(out.untouched()).toBe(false);
    const img = await readImageFile(out.path);
    expect([img.width, img.height]).toEqual([32, 21]);
    expect(r.stdout).toMatch(/^interrupted: wrote .* after \d+ iterations, \d+ evaluations; loss \d\.\d+e[+-]\d+ → \d\.\d+e[+-]\d+; peak/m);
    expect(r.stdout).not.toMatch(/NaN| 0 bytes read back/);
    noTemporaryFiles();
  }, 60_000);
});

describe('gatys options that had no test', () => {
  /** Luminance and YUV chrominance of an RGBA image, per pixel. */
  const yuv = (img: { data: ArrayLike<number> }, i: number) => {
    const [r, g, b] = [img.data[4 * i], img.data[4 * i + 1], img.data[4 * i + 2]];
    return [0.299 * r + 0.587 * g + 0.114 * b, -0.14713 * r - 0.28886 * g + 0.436 * b, 0.615 * r - 0.51499 * g - 0.10001 * b];
  };
  const median = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1];
  const logLines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

  it('--init content --optimizer adam --save-every --log-json: a tiny step stays at the content; snapshots and one log line per evaluation', async () => {
    const out = at('adam.png');
    const log = at('logs/new/adam.jsonl'); // a folder that does not exist yet
    const r = await cli(gatysArgs(out, '--init', 'content', '--optimizer', 'adam', '--learning-rate', '0.001', '--iterations', '4', '--save-every', '2', '--log-json', log, '--pooling', 'avg'));
    expect(r.code, r.stderr).toBe(0);
    // Adam has no L-BFGS first evaluation: the summary still states real figures.
    expect(r.stdout).toMatch(/after 4 iterations, 4 evaluations; loss \d\.\d+e[+-]\d+ → \d\.\d+e[+-]\d+; /);
    expect(r.stdout).not.toMatch(/NaN| 0 bytes read back/);
    const [result, content] = [await readImageFile(out), await readImageFile(resolve(root, CONTENT), 32)];
    expect([result.width, result.height]).toEqual([content.width, content.height]);
    let worst = 0;
    for (let i = 0; i < content.data.length; i++) if (i % 4 !== 3) worst = Math.max(worst, Math.abs(result.data[i] - content.data[i]));
    expect(worst).toBeLessThanOrEqual(2);
    expect(existsSync(at('adam_2.png'))).toBe(true); // every 2 iterations, before the last
    expect(existsSync(at('adam_4.png'))).toBe(false);
    const lines = logLines(log);
    expect(lines.map((l) => l.iteration)).toEqual([1, 2, 3, 4]);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['iteration', 'total', 'content', 'style', 'tv']);
      expect(l.total).toBeCloseTo(l.content + l.style + l.tv, 5);
    }
    expect(lines[0].content).toBeLessThan(1e-6); // starting at the content
    noTemporaryFiles();

    // Max pooling instead of average: the same start has a different style loss (relu5_1 sees pooled features).
    const maxLog = at('max.jsonl');
    const m = await cli(gatysArgs(at('max.png'), '--init', 'content', '--optimizer', 'adam', '--learning-rate', '0.001', '--iterations', '1', '--log-json', maxLog, '--pooling', 'max'));
    expect(m.code, m.stderr).toBe(0);
    expect(Math.abs(logLines(maxLog)[0].style / lines[0].style - 1)).toBeGreaterThan(1e-3);
  }, 120_000);

  it('--init PATH --original-colors: the init image is the start, the colours are the content\'s', async () => {
    const out = at('colours.png');
    const r = await cli(gatysArgs(out, '--init', STYLE, '--optimizer', 'adam', '--learning-rate', '0.001', '--iterations', '2', '--original-colors'));
    expect(r.code, r.stderr).toBe(0);
    const [result, content] = [await readImageFile(out), await readImageFile(resolve(root, CONTENT), 32)];
    const style = await readImageFile(resolve(root, STYLE), { width: content.width, height: content.height });
    const n = content.width * content.height;
    const chroma = [];
    const luma = [];
    for (let i = 0; i < n; i++) {
      const [y, u, v] = yuv(result, i);
      const [, cu, cv] = yuv(content, i);
      chroma.push(Math.abs(u - cu) + Math.abs(v - cv));
      luma.push(Math.abs(y - yuv(style, i)[0]));
    }
    expect(median(chroma)).toBeLessThan(3); // clipping to bytes may move a few saturated pixels
    expect(median(luma)).toBeLessThan(3);
  }, 60_000);

  it('--seed: the same seed gives the same image, another seed another', async () => {
    const run = async (seed: string) => {
      const out = at(`seed-${seed}-${Math.random()}.png`);
      const r = await cli(gatysArgs(out, '--iterations', '2', '--seed', seed));
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(out);
    };
    const [a, b, c] = [await run('7'), await run('7'), await run('8')];
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  }, 90_000);
});

describe('a 12 MP phone photo (4032×3024, EXIF orientation 6) through every command', () => {
  const photo = at('phone.jpg');
  const ready = sharp({ create: { width: 4032, height: 3024, channels: 3, background: { r: 90, g: 140, b: 200 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 85 })
    .withMetadata({ orientation: 6 })
    .toFile(photo);

  it.each([
    ['gatys', () => ['gatys', '--content', photo, '--style', photo, '--weights', TINY_VGG, '--image-size', '32', '--iterations', '1'], [24, 32]],
    ['transfer', () => ['transfer', '--model', 'wave', '--content', photo, '--image-size', '64'], [48, 64]],
    ['adain', () => ['adain', ...ADAIN, '--content', photo, '--style', photo, '--image-size', '32', '--style-size', '32'], [24, 32]],
    ['gatedgan', () => ['gatedgan', ...GATEDGAN, '--content', photo, '--style-weights', '0.25,0.25,0.25,0.25', '--image-size', '32'], [24, 32]],
  ] as const)('%s', async (command, args, size) => {
    await ready;
    const out = at(`phone-${command}.png`);
    const r = await cli([...args(), '--output', out]);
    expect(r.code, r.stderr).toBe(0);
    const img = await readImageFile(out);
    expect([img.width, img.height]).toEqual(size); // portrait: the EXIF rotation was applied
  }, 120_000);
});

describe('stylegpu examples (reduced: 16 px, 1 iteration; the full run is 96 px, 50 iterations)', () => {
  it('writes the four pairs with the real VGG19 from the mirror', async () => {
    const out = at('examples');
    const r = await cli(['examples', '--out', out, '--image-size', '16', '--iterations', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['astronaut-starry_night.png', 'chelsea-starry_night.png', 'coffee-brick.png', 'rocket-gravel.png']);
    for (const f of readdirSync(out)) {
      const img = await readImageFile(join(out, f));
      expect(Math.max(img.width, img.height)).toBe(16);
    }
  }, 120_000);
});
