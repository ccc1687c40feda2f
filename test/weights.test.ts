// Weight readers against files written by PyTorch (test/golden/make_weight_files.py → test/fixtures/weights/) and
// against the mirrored upstream models in ../shared/mirror (read in place, never copied into the repository).
// Values must come back bit-exact: decoding is a copy (float16/float64 are exactly representable in float32 here).
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_MODELS, MissingFileError, type FileSource, checkShapes, knownModel, loadAll, loadWeights, modelSource } from '../src/weights/index.ts';
import { folderSource } from '../src/weights/source.ts';
import { tfjsLayersModel } from '../src/weights/tfjsLayers.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const MIRROR = path.resolve(repoRoot, '../shared/mirror');
const FIXTURES = path.join(repoRoot, 'test/fixtures/weights');
const expected: Record<string, { shape: number[]; dtype: string; values: number[] }> = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));
const FLOAT_NAMES = Object.keys(expected).filter((k) => expected[k].dtype.startsWith('float'));

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'stylegpu-weights-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A file's float32 values straight from disk, to compare readers with. */
async function rawFloats(file: string, offset = 0, count?: number): Promise<Float32Array> {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, count === undefined ? bytes.byteOffset + bytes.length : bytes.byteOffset + offset + 4 * count));
}

/** An in-memory source that records what is read. */
function memorySource(files: Record<string, Uint8Array>): FileSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    where: (file) => `mem/${file}`,
    async read(file) {
      reads.push(file);
      if (!files[file]) throw new MissingFileError(file, `mem/${file} does not exist`);
      return files[file];
    },
  };
}

/** Bit-exact equality (cheaper than a deep-equal of large arrays), reporting the first differing element. */
function expectSameFloats(got: Float32Array, want: ArrayLike<number>, what: string): void {
  const exact = Float32Array.from(want);
  expect(got.length, `${what}: length`).toBe(exact.length);
  const i = got.findIndex((v, k) => !Object.is(v, exact[k]));
  expect(i < 0 ? 'same' : `element ${i} is ${got[i]}, expected ${exact[i]}`, what).toBe('same');
}

const f32Bytes = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe.each(['state_dict.pth', 'state_dict_legacy.pth', 'state_dict_deflate.pth', 'state_dict.safetensors'])('%s', (file) => {
  const isTorch = file.endsWith('.pth');

  it('lists the tensors with their shapes', async () => {
    const w = await loadWeights(path.join(FIXTURES, file));
    expect(w.names()).toEqual(isTorch ? Object.keys(expected) : FLOAT_NAMES);
    for (const name of w.names()) expect(w.shape(name), name).toEqual(expected[name].shape);
  });

  it('decodes every float tensor exactly (views by their strides and offset, float16 widened)', async () => {
    const tensors = await loadAll(await loadWeights(path.join(FIXTURES, file)), FLOAT_NAMES);
    for (const name of FLOAT_NAMES) {
      expect(tensors.get(name)!.shape, name).toEqual(expected[name].shape);
      expectSameFloats(tensors.get(name)!.data, expected[name].values, name);
    }
  });

  it('names the tensor on a missing key or a shape mismatch', async () => {
    const w = await loadWeights(path.join(FIXTURES, file));
    await expect(w.get('features.9.weight')).rejects.toThrow(/^features\.9\.weight: no such tensor in .*state_dict.* \(it has \d+: features\.0\.weight, /);
    await expect(w.get('features.0.weight', [4, 3, 3, 4])).rejects.toThrow(/^features\.0\.weight: shape \[4, 3, 3, 3\] in .*, expected \[4, 3, 3, 4\]$/);
    expect((await w.get('features.2.bias', [5])).data.length).toBe(5);
    expect(() => checkShapes(w, { 'features.0.weight': [4, 3, 3, 3], 'features.2.weight': [5, 4, 3, 3], 'classifier.0.weight': [10, 5] })).toThrow(
      /does not match the expected weights:\n {2}features\.2\.weight: shape \[5, 4, 1, 1\], expected \[5, 4, 3, 3\]\n {2}classifier\.0\.weight: missing$/,
    );
  });

  if (isTorch) {
    it('refuses integer tensors by name', async () => {
      const w = await loadWeights(path.join(FIXTURES, file));
      await expect(w.get('extra.steps')).rejects.toThrow(/^extra\.steps: dtype int64 is not supported, only floating point/);
    });
  }
});

describe('PyTorch files', () => {
  it('flattens nested checkpoints to dotted names and ignores other values', async () => {
    const w = await loadWeights(path.join(FIXTURES, 'checkpoint.pth'));
    expect(w.names()).toEqual(Object.keys(expected).map((k) => `model.${k}`));
    expectSameFloats((await w.get('model.extra.window')).data, expected['extra.window'].values, 'model.extra.window');
  });

  it('says a truncated zip file is truncated, naming it', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'state_dict.pth'));
    const cut = path.join(tmp, 'cut.pth');
    await writeFile(cut, bytes.subarray(0, 2000));
    await expect(loadWeights(cut)).rejects.toThrow(`${cut}: zip end record not found (truncated download?)`);
  });

  it('names the tensor whose storage a truncated legacy file lacks', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'state_dict_legacy.pth'));
    const cut = path.join(tmp, 'cut_legacy.pth');
    await writeFile(cut, bytes.subarray(0, bytes.length - 6));
    const w = await loadWeights(cut);
    const results = await Promise.allSettled(FLOAT_NAMES.map((n) => w.get(n)));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason.message)] : []));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.length).toBeLessThan(FLOAT_NAMES.length);
    for (const f of failures) expect(f).toMatch(/^[\w.]+: storage \d+ holds \d+ bytes, expected \d+ \(truncated\) \(.*cut_legacy\.pth\)$/);
  });

  it('rejects files that are not PyTorch files', async () => {
    const junk = path.join(tmp, 'junk.pth');
    await writeFile(junk, 'not a checkpoint');
    await expect(loadWeights(junk)).rejects.toThrow(`${junk}: unknown weight format`);
  });
});

describe('safetensors', () => {
  it('names the tensor whose data a truncated file lacks; earlier tensors still load', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'state_dict.safetensors'));
    const cut = path.join(tmp, 'cut.safetensors');
    await writeFile(cut, bytes.subarray(0, bytes.length - 4));
    const w = await loadWeights(cut);
    await expect(w.get('extra.half')).rejects.toThrow(/^extra\.half: data ends at byte \d+, but .*cut\.safetensors holds only \d+ bytes of data \(truncated\)$/);
    expect((await w.get('features.0.weight')).shape).toEqual([4, 3, 3, 3]);
    await writeFile(cut, bytes.subarray(0, 40));
    await expect(loadWeights(cut)).rejects.toThrow(/cut\.safetensors: header of \d+ bytes, but the file has only 40 \(truncated/);
  });
});

describe('TensorFlow.js layers model: vgg19-tfjs from the mirror (groups 1–8 only)', () => {
  const LAYERS: [string, number, number][] = [
    ['block1_conv1', 3, 64], ['block1_conv2', 64, 64], ['block2_conv1', 64, 128], ['block2_conv2', 128, 128],
    ['block3_conv1', 128, 256], ['block3_conv2', 256, 256], ['block3_conv3', 256, 256], ['block3_conv4', 256, 256],
  ];

  it('loads block1_conv1 … block3_conv4 with their shapes; the data equal the shard bytes', async () => {
    const w = await loadWeights('vgg19-tfjs', { mirror: MIRROR });
    expect(w.names()).toContain('predictions/bias');
    for (const [i, [layer, cin, cout]] of LAYERS.entries()) {
      const kernel = await w.get(`${layer}/kernel`, [3, 3, cin, cout]);
      const bias = await w.get(`${layer}/bias`, [cout]);
      const shard = path.join(MIRROR, 'vgg19-tfjs', `group${i + 1}-shard1of1`);
      expectSameFloats(kernel.data, await rawFloats(shard, 0, 9 * cin * cout), `${layer}/kernel`);
      expectSameFloats(bias.data, await rawFloats(shard, 4 * 9 * cin * cout), `${layer}/bias`);
    }
  });

  it('says which shard of block4_conv1 is missing, where it was looked for and where it comes from', async () => {
    const w = await loadWeights('vgg19-tfjs', { mirror: MIRROR });
    const error = await w.get('block4_conv1/kernel').catch((e: Error) => e);
    expect(String(error)).toMatch(/block4_conv1\/kernel: shard group9-shard(1|2)of2 not found: .*vgg19-tfjs\/group9-shard\dof2 does not exist: the weights mirror .* \(STYLEGPU_WEIGHTS_MIRROR\) lacks it; upstream: https:\/\/raw\.githubusercontent\.com\/DavidCai1993\/vgg19-tensorflowjs-model\/master\/model\/group9-shard\dof2/);
  });

  it('fetches only the shard groups holding the requested tensors', async () => {
    const json = JSON.parse(await readFile(path.join(MIRROR, 'vgg19-tfjs/model.json'), 'utf8'));
    const mirror = folderSource(path.join(MIRROR, 'vgg19-tfjs'));
    const reads: string[] = [];
    const counting: FileSource = { where: mirror.where, read: (f, c) => (reads.push(f), mirror.read(f, c)) };
    const w = tfjsLayersModel(json, counting);
    await w.get('block2_conv1/bias');
    await w.get('block2_conv1/kernel');
    await w.get('block1_conv1/kernel');
    expect(reads).toEqual(['group3-shard1of1', 'group1-shard1of1']);
    expect(JSON.stringify(w.topology)).toContain('"block5_conv4"');
  });

  it('names the tensor and the byte counts of a truncated shard', async () => {
    const dir = path.join(tmp, 'vgg-cut');
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(MIRROR, 'vgg19-tfjs/model.json'), path.join(dir, 'model.json'));
    await writeFile(path.join(dir, 'group1-shard1of1'), (await readFile(path.join(MIRROR, 'vgg19-tfjs/group1-shard1of1'))).subarray(0, 6000));
    const w = await loadWeights(dir);
    await expect(w.get('block1_conv1/bias')).rejects.toThrow('block1_conv1/bias: shard group1-shard1of1 holds 6000 bytes, expected 7168 (truncated)');
  });

  it('concatenates multi-shard groups in order; names dtype and missing-tensor problems', async () => {
    const manifest = (dtype: string) => ({
      weightsManifest: [{ paths: ['g-1of2', 'g-2of2'], weights: [{ name: 'a', shape: [2], dtype: 'float32' }, { name: 'b', shape: [3], dtype }] }],
    });
    const bytes = f32Bytes([1, 2, 3.5, -4, 5e-3]);
    const source = memorySource({ 'g-1of2': bytes.subarray(0, 10), 'g-2of2': bytes.subarray(10) });
    const w = tfjsLayersModel(manifest('float32'), source);
    expectSameFloats((await w.get('b')).data, [3.5, -4, 5e-3], 'b');
    expectSameFloats((await w.get('a')).data, [1, 2], 'a');
    expect(source.reads).toEqual(['g-1of2', 'g-2of2']);
    await expect(w.get('c')).rejects.toThrow(/^c: no such tensor in mem\/model\.json/);
    await expect(tfjsLayersModel(manifest('int32'), source).get('b')).rejects.toThrow('b: dtype int32 is not supported, only float32 (mem/model.json)');
    expect(() => tfjsLayersModel(manifest('string'), source)).toThrow('b: dtype string in mem/model.json has no known byte size');
    expect(() => tfjsLayersModel({ modelTopology: {} }, source)).toThrow('mem/model.json: no weightsManifest');
  });
});

describe('deeplearn.js checkpoints: the ml5 style networks from the mirror', () => {
  it('loads the 48 variables of every style with their shapes', async () => {
    for (const id of KNOWN_MODELS.filter((m) => m.id.startsWith('ml5-style-transfer/')).map((m) => m.id)) {
      const w = await loadWeights(id, { mirror: MIRROR });
      expect(w.names().length, id).toBe(48);
      expect(w.shape('Variable'), id).toEqual([9, 9, 3, 32]);
      expect(w.shape('Variable_39'), id).toEqual([3, 3, 64, 128]);
    }
    const wave = await loadWeights('ml5-style-transfer/wave', { mirror: MIRROR });
    const all = await loadAll(wave);
    expectSameFloats(all.get('Variable_45')!.data, await rawFloats(path.join(MIRROR, 'ml5-style-transfer/wave/Variable_45')), 'Variable_45');
  });

  it('names the variable and sizes of a truncated file', async () => {
    const dir = path.join(tmp, 'wave-cut');
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(MIRROR, 'ml5-style-transfer/wave/manifest.json'), path.join(dir, 'manifest.json'));
    await writeFile(path.join(dir, 'Variable_1'), new Uint8Array(100));
    const w = await loadWeights(dir);
    await expect(w.get('Variable_1')).rejects.toThrow(`Variable_1: ${dir}/Variable_1: size mismatch: expected 128 bytes, found 100`);
  });
});

describe('registry and locations', () => {
  it('reads known models from STYLEGPU_WEIGHTS_MIRROR', async () => {
    const saved = process.env.STYLEGPU_WEIGHTS_MIRROR;
    process.env.STYLEGPU_WEIGHTS_MIRROR = MIRROR;
    try {
      expect((await loadWeights('ml5-style-transfer/scream')).description).toBe(`${MIRROR}/ml5-style-transfer/scream/manifest.json`);
    } finally {
      if (saved === undefined) delete process.env.STYLEGPU_WEIGHTS_MIRROR;
      else process.env.STYLEGPU_WEIGHTS_MIRROR = saved;
    }
  });

  it('checks the registry digest of index files', async () => {
    const dir = path.join(tmp, 'fake-mirror');
    await mkdir(path.join(dir, 'vgg19-tfjs'), { recursive: true });
    const json = await readFile(path.join(MIRROR, 'vgg19-tfjs/model.json'));
    await writeFile(path.join(dir, 'vgg19-tfjs/model.json'), Buffer.from(json.toString('utf8').replace('block1_conv1', 'block1_convX')));
    await expect(loadWeights('vgg19-tfjs', { mirror: dir })).rejects.toThrow(/vgg19-tfjs\/model\.json: SHA-256 mismatch: expected 0a55a4ea.*, got [0-9a-f]{64}: the weights mirror .* holds a damaged or different copy: replace it with https:\/\/\S+\/model\.json$/);
    await expect(modelSource(knownModel('vgg19-tfjs'), { mirror: dir }).read('group1-shard1of1')).rejects.toThrow(MissingFileError);
  });

  it('opens folders by their index file, and names unknown models', async () => {
    expect((await loadWeights(path.join(MIRROR, 'vgg19-tfjs'))).shape('block3_conv4/kernel')).toEqual([3, 3, 256, 256]);
    expect((await loadWeights(path.join(MIRROR, 'ml5-style-transfer/udnie'))).shape('Variable_46')).toEqual([3]);
    await expect(loadWeights(FIXTURES)).rejects.toThrow('folder without model.json (TensorFlow.js) or manifest.json');
    await expect(loadWeights(path.join(tmp, 'nothing-here.pth'))).rejects.toThrow(/nothing-here\.pth does not exist/);
    expect(() => knownModel('vgg16')).toThrow(/unknown model "vgg16"; known: vgg19-tfjs, ml5-style-transfer\/la_muse, .*torchvision-vgg19/);
  });
});
