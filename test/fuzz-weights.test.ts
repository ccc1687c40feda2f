// Fuzzing the weight readers (src/weights/): PyTorch .pth (zip and legacy pickle), safetensors, TensorFlow.js
// model.json + shards and deeplearn.js manifests, each from valid files mutated (test/helpers/fuzz.ts). Every case
// must end in a valid WeightSet (every tensor either decodes to exactly its shape's element count or fails with a
// named error) or in a named error about the file, within the time and memory bounds. More cases:
// STYLEGPU_FUZZ_CASES=20000 npx vitest run test/fuzz-weights.test.ts
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type FileSource, MissingFileError, openWeightFile } from '../src/weights/index.ts';
import { verify } from '../src/weights/source.ts';
import { numel } from '../src/weights/tensors.ts';
import { type Field, InvalidResult, type Random, below, fuzz, isNamedError, mutateBytes, mutateJson, pick } from './helpers/fuzz.ts';
import { uniform } from './helpers/random.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = path.join(repoRoot, 'test/fixtures/weights');
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const BASE = 'mem://fuzz/';

/** Files held in memory, read through the same checks as files on disk. */
function memorySource(files: ReadonlyMap<string, Uint8Array>): FileSource {
  const where = (file: string) => `${BASE}${file}`;
  return {
    where,
    async read(file, check) {
      const bytes = files.get(file);
      if (!bytes) throw new MissingFileError(file, `${where(file)} does not exist`);
      await verify(bytes, where(file), check);
      return bytes;
    },
  };
}

interface WeightCase {
  files: Map<string, Uint8Array>;
  entry: string;
}

/** Opens the entry file and loads every tensor; a tensor may fail by name, or must decode to its full size. */
async function readAll({ files, entry }: WeightCase): Promise<void> {
  const set = await openWeightFile(memorySource(files), entry);
  for (const name of set.names()) {
    const shape = set.shape(name);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new InvalidResult(`${name}: shape ${JSON.stringify(shape)} accepted`);
    try {
      const { data } = await set.get(name);
      if (data.length !== numel(shape)) throw new InvalidResult(`${name}: ${data.length} values for ${JSON.stringify(shape)}`);
    } catch (e) {
      if (!isNamedError(e, BASE)) throw e;
    }
  }
}

const named = (e: unknown) => isNamedError(e, BASE);
const report = (what: string, r: { cases: number; valid: number; slowestMs: number; rssGrowth: number }) =>
  console.log(`${what}: ${r.cases} cases, ${r.valid} read as valid, slowest ${r.slowestMs.toFixed(1)} ms, resident set +${(r.rssGrowth / 2 ** 20).toFixed(0)} MiB`);

// ---- where the length, size and offset fields of each container are

/** The zip end record, central directory and local header fields that hold counts, sizes and offsets. */
function zipFields(bytes: Uint8Array): Field[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const fields: Field[] = [];
  for (let at = 0; at + 4 <= bytes.length; at++) {
    const sig = view.getUint32(at, true);
    if (sig === 0x06054b50) fields.push(...[8, 10].map((o) => ({ at: at + o, bytes: 2 as const })), ...[12, 16].map((o) => ({ at: at + o, bytes: 4 as const })));
    if (sig === 0x02014b50) fields.push(...[20, 24, 42].map((o) => ({ at: at + o, bytes: 4 as const })), ...[10, 28, 30, 32].map((o) => ({ at: at + o, bytes: 2 as const })));
    if (sig === 0x04034b50) fields.push(...[18, 22].map((o) => ({ at: at + o, bytes: 4 as const })), ...[8, 26, 28].map((o) => ({ at: at + o, bytes: 2 as const })));
  }
  return fields;
}

/** Operands of the pickle opcodes that carry integers and lengths (found by their opcode bytes: some are false hits, which is fine). */
function pickleFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  const operand: Record<number, Field['bytes']> = { 0x4a: 4, 0x4b: 1, 0x4d: 2, 0x58: 4, 0x8c: 1, 0x8a: 1, 0x71: 1, 0x72: 4, 0x68: 1, 0x6a: 4, 0x42: 4, 0x43: 1, 0x54: 4, 0x55: 1 };
  for (let at = 0; at < bytes.length - 1; at++) if (operand[bytes[at]]) fields.push({ at: at + 1, bytes: operand[bytes[at]] });
  return fields;
}

// ---- small valid TensorFlow.js and deeplearn.js models

function floats(n: number, seed: number): Uint8Array {
  return new Uint8Array(uniform(n, seed).buffer);
}

function tfjsModel(): WeightCase {
  const group2 = floats(3 * 3 * 2 * 4 + 4, 2);
  const manifest = {
    modelTopology: { class_name: 'Sequential', config: { layers: [] } },
    weightsManifest: [
      { paths: ['group1-shard1of1'], weights: [{ name: 'a/kernel', shape: [2, 3], dtype: 'float32' }, { name: 'a/bias', shape: [3], dtype: 'float32' }] },
      { paths: ['group2-shard1of2', 'group2-shard2of2'], weights: [{ name: 'b/kernel', shape: [3, 3, 2, 4], dtype: 'float32' }, { name: 'b/bias', shape: [4], dtype: 'float32' }] },
    ],
  };
  const files = new Map<string, Uint8Array>([
    ['model.json', new TextEncoder().encode(JSON.stringify(manifest))],
    ['group1-shard1of1', floats(9, 1)],
    ['group2-shard1of2', group2.slice(0, 100)],
    ['group2-shard2of2', group2.slice(100)],
  ]);
  return { files, entry: 'model.json' };
}

function ml5Checkpoint(): WeightCase {
  const variables: Record<string, { filename: string; shape: number[] }> = {
    Variable: { filename: 'Variable', shape: [3, 3, 3, 2] },
    Variable_1: { filename: 'Variable_1', shape: [2] },
    Variable_2: { filename: 'Variable_2', shape: [2] },
  };
  const files = new Map<string, Uint8Array>([['manifest.json', new TextEncoder().encode(JSON.stringify(variables))]]);
  for (const [name, v] of Object.entries(variables)) files.set(v.filename, floats(numel(v.shape), name.length));
  return { files, entry: 'manifest.json' };
}

/** One mutation of a JSON-indexed model: its index file (as JSON, or as bytes) or one of its data files. */
function mutateIndexed(r: Random, model: WeightCase): WeightCase & { what: string } {
  const files = new Map(model.files);
  const index = files.get(model.entry)!;
  const choice = r();
  if (choice < 0.6) {
    const { value, what } = mutateJson(r, JSON.parse(new TextDecoder().decode(index)));
    files.set(model.entry, new TextEncoder().encode(JSON.stringify(value)));
    return { files, entry: model.entry, what: `${model.entry}: ${what}` };
  }
  const file = choice < 0.7 ? model.entry : pick(r, [...files.keys()].filter((f) => f !== model.entry));
  const { bytes, what } = mutateBytes(r, files.get(file)!);
  files.set(file, bytes);
  return { files, entry: model.entry, what: `${file}: ${what}` };
}

describe('fuzzing the weight readers: every case is a valid result or a named error', () => {
  it('PyTorch zip (.pth: STORED, DEFLATE, nested checkpoint)', async () => {
    const seeds = ['state_dict.pth', 'state_dict_deflate.pth', 'checkpoint.pth'].map((name) => ({ name, bytes: fixture(name) }));
    const r = await fuzz<WeightCase>({
      seed: 1_000_000,
      make(rand) {
        const { name, bytes } = pick(rand, seeds);
        const m = mutateBytes(rand, bytes, zipFields(bytes));
        return { files: new Map([['model.pth', m.bytes]]), entry: 'model.pth', what: `${name}: ${m.what}` };
      },
      run: readAll,
      named,
    });
    report('.pth zip', r);
  });

  it('PyTorch legacy pickle (.pth)', async () => {
    const bytes = fixture('state_dict_legacy.pth');
    const fields = pickleFields(bytes);
    const r = await fuzz<WeightCase>({
      seed: 2_000_000,
      make(rand) {
        const m = mutateBytes(rand, bytes, fields);
        return { files: new Map([['model.pth', m.bytes]]), entry: 'model.pth', what: m.what };
      },
      run: readAll,
      named,
    });
    report('.pth legacy', r);
  });

  it('safetensors (bytes, and the JSON header re-encoded with its length)', async () => {
    const bytes = fixture('state_dict.safetensors');
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    const data = bytes.subarray(8 + headerLength);
    const r = await fuzz<WeightCase>({
      seed: 3_000_000,
      make(rand) {
        if (rand() < 0.5) {
          const m = mutateBytes(rand, bytes, [{ at: 0, bytes: 8 }, { at: 0, bytes: 4 }]);
          return { files: new Map([['model.safetensors', m.bytes]]), entry: 'model.safetensors', what: m.what };
        }
        const { value, what } = mutateJson(rand, header);
        const json = new TextEncoder().encode(JSON.stringify(value));
        const out = new Uint8Array(8 + json.length + data.length);
        new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
        out.set(json, 8);
        out.set(data, 8 + json.length);
        return { files: new Map([['model.safetensors', out]]), entry: 'model.safetensors', what: `header: ${what}` };
      },
      run: readAll,
      named,
    });
    report('safetensors', r);
  });

  it('TensorFlow.js layers model (model.json and its shards)', async () => {
    const model = tfjsModel();
    await readAll(model); // the unmutated model is valid
    const r = await fuzz<WeightCase>({ seed: 4_000_000, make: (rand) => mutateIndexed(rand, model), run: readAll, named });
    report('tfjs', r);
  });

  it('deeplearn.js checkpoint (manifest.json and its variable files)', async () => {
    const model = ml5Checkpoint();
    await readAll(model);
    const r = await fuzz<WeightCase>({ seed: 5_000_000, make: (rand) => mutateIndexed(rand, model), run: readAll, named });
    report('deeplearn.js', r);
  });

  it('the harness itself fails on an unnamed error, naming the case', async () => {
    const failing = fuzz<{ n: number }>({
      seed: 1,
      cases: 3,
      make: (rand) => ({ n: below(rand, 10), what: 'nothing' }),
      run: () => {
        throw new TypeError('Cannot read properties of undefined');
      },
      named,
    });
    await expect(failing).rejects.toThrow(/case 0 \(seed 1, nothing\): unnamed TypeError: Cannot read properties of undefined/);
  });
});
