// Known models' files are verified by content (SHA-256) wherever they come from: the mirror folder, the cache,
// a download. A damaged copy of the same size as the real one must be refused, naming the file, both digests and
// what to do; the real mirror must pass.
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_MODELS, knownModel, loadWeights, modelSource } from '../src/weights/index.ts';
import { DigestMismatchError } from '../src/weights/source.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const MIRROR = path.resolve(repoRoot, '../shared/mirror');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'stylegpu-integrity-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of `bytes` with one byte changed: same size, different content. */
function damaged(bytes: Uint8Array, at = bytes.length >> 1): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at] ^= 0x40;
  return copy;
}

/** A mirror folder in `tmp` holding a copy of the real mirror's `folder`, with `file` damaged (same size). */
async function mirrorWithDamaged(name: string, folder: string, file: string): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(path.join(dir, folder), { recursive: true });
  await cp(path.join(MIRROR, folder), path.join(dir, folder), { recursive: true });
  const bytes = await readFile(path.join(MIRROR, folder, file));
  await rm(path.join(dir, folder, file), { force: true });
  await writeFile(path.join(dir, folder, file), damaged(bytes));
  return dir;
}

describe('the registry has a digest for every mirrored file of a known model', () => {
  it('and each digest is the SHA-256 of the mirror file; the real mirror passes every check', async () => {
    let checked = 0;
    for (const model of KNOWN_MODELS) {
      const files = await readdir(path.join(MIRROR, model.folder)).catch(() => [] as string[]);
      const source = modelSource(model, { mirror: MIRROR });
      for (const file of files.filter((f) => f !== 'LICENSE')) {
        expect((await model.checks())[file]?.sha256, `${model.id}: ${file}`).toMatch(/^[0-9a-f]{64}$/);
        const bytes = await source.read(file);
        expect(sha256(bytes)).toBe((await model.checks())[file].sha256);
        checked++;
      }
    }
    expect(checked).toBe(9 * 49 + 9); // nine styles (manifest + 48 variables), VGG19's model.json + groups 1–8
  });

  it('says where the digests of the files it cannot verify would come from', async () => {
    expect(knownModel('vgg19-tfjs').unverified).toMatch(/groups 9–19.*DavidCai1993\/vgg19-tensorflowjs-model @ 08d0905/);
    expect(knownModel('torchvision-vgg19').unverified).toMatch(/prefix/);
    expect((await knownModel('vgg19-tfjs').checks())['group9-shard1of2']).toBeUndefined();
  });
});

describe('a same-size damaged copy is refused, naming the file, both digests and what to do', () => {
  it('a VGG19 shard in the mirror folder', async () => {
    const mirror = await mirrorWithDamaged('vgg-bad', 'vgg19-tfjs', 'group5-shard1of1');
    const file = path.join(mirror, 'vgg19-tfjs/group5-shard1of1');
    const expected = (await knownModel('vgg19-tfjs').checks())['group5-shard1of1'].sha256!;
    const actual = sha256(await readFile(file));
    const vgg = await loadWeights('vgg19-tfjs', { mirror });
    // Earlier groups are intact and still load; the damaged one is refused whichever tensor asks for it.
    await vgg.get('block2_conv2/kernel', [3, 3, 128, 128]);
    const error = await vgg.get('block3_conv1/kernel').catch((e: Error) => e);
    expect(String(error)).toBe(
      `Error: block3_conv1/kernel: ${file}: SHA-256 mismatch: expected ${expected}, got ${actual}: the weights mirror ${mirror} (STYLEGPU_WEIGHTS_MIRROR) ` +
        `holds a damaged or different copy: replace it with https://raw.githubusercontent.com/DavidCai1993/vgg19-tensorflowjs-model/master/model/group5-shard1of1`,
    );
    expect((error as Error).cause).toBeInstanceOf(DigestMismatchError);
    await expect(vgg.get('block3_conv1/bias')).rejects.toThrow(`SHA-256 mismatch: expected ${expected}, got ${actual}`);
  });

  it('an ml5 style variable in the mirror folder', async () => {
    const mirror = await mirrorWithDamaged('ml5-bad', 'ml5-style-transfer/udnie', 'Variable_12');
    const net = await loadWeights('ml5-style-transfer/udnie', { mirror });
    await net.get('Variable_11');
    await expect(net.get('Variable_12')).rejects.toThrow(
      new RegExp(`^Variable_12: .*/ml5-bad/ml5-style-transfer/udnie/Variable_12: SHA-256 mismatch: expected ${(await knownModel('ml5-style-transfer/udnie').checks()).Variable_12.sha256}, got [0-9a-f]{64}: .*replace it with https://raw\\.githubusercontent\\.com/ml5js/ml5-data-and-models/master/models/style-transfer/udnie/Variable_12$`),
    );
  });

  it('a file damaged in the cache, also after this process has read it intact', async () => {
    const cacheDir = path.join(tmp, 'cache');
    await mkdir(path.join(cacheDir, 'ml5-style-transfer/wave'), { recursive: true });
    for (const file of ['manifest.json', 'Variable_3']) {
      await copyFile(path.join(MIRROR, 'ml5-style-transfer/wave', file), path.join(cacheDir, 'ml5-style-transfer/wave', file));
    }
    // No mirror and an upstream that cannot be reached: everything must come from the cache.
    const wave = { ...knownModel('ml5-style-transfer/wave'), url: 'http://127.0.0.1:9/ml5/' };
    const source = modelSource(wave, { mirror: '', cacheDir });
    const cached = path.join(cacheDir, 'ml5-style-transfer/wave/Variable_3');
    const good = await source.read('Variable_3');
    expect(sha256(good)).toBe((await wave.checks()).Variable_3.sha256);
    // Damaged in place, keeping its size (the mtime moves, as any write moves it).
    await writeFile(cached, damaged(good));
    const later = new Date(Date.now() + 5_000);
    await utimes(cached, later, later);
    await expect(source.read('Variable_3')).rejects.toThrow(
      `${cached}: SHA-256 mismatch: expected ${(await wave.checks()).Variable_3.sha256}, got ${sha256(damaged(good))}: the cached copy is damaged: delete it to download http://127.0.0.1:9/ml5/Variable_3 again`,
    );
  });

  it('checks a file again whenever its size or mtime changed, and the real file then passes again', async () => {
    const mirror = await mirrorWithDamaged('restore', 'ml5-style-transfer/matta', 'Variable_5');
    const source = modelSource(knownModel('ml5-style-transfer/matta'), { mirror });
    await expect(source.read('Variable_5')).rejects.toBeInstanceOf(DigestMismatchError);
    await rm(path.join(mirror, 'ml5-style-transfer/matta/Variable_5'));
    await copyFile(path.join(MIRROR, 'ml5-style-transfer/matta/Variable_5'), path.join(mirror, 'ml5-style-transfer/matta/Variable_5'));
    expect(sha256(await source.read('Variable_5'))).toBe((await knownModel('ml5-style-transfer/matta').checks()).Variable_5.sha256);
  });

  it('user paths (unknown source) keep their structural checks only', async () => {
    const mirror = await mirrorWithDamaged('user', 'ml5-style-transfer/wreck', 'Variable_7');
    const net = await loadWeights(path.join(mirror, 'ml5-style-transfer/wreck'));
    expect((await net.get('Variable_7')).data.length).toBe(128);
  });
});
