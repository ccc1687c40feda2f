// The downloader against a local HTTP server on 127.0.0.1 serving a temporary folder (and ../shared/mirror under
// /mirror/); nothing here touches the network. Every request is recorded so the tests can bound them.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadProgress, MissingFileError, knownModel, loadWeights, modelSource } from '../src/weights/index.ts';
import { cachedUrlSource } from '../src/weights/source.ts';
import { uniform } from './helpers/random.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const MIRROR = path.resolve(repoRoot, '../shared/mirror');
const FIXTURES = path.join(repoRoot, 'test/fixtures/weights');

const payload = new Uint8Array(uniform(75_000, 11).buffer); // 300 000 bytes: several chunks
const payloadSha = createHash('sha256').update(payload).digest('hex');

let root: string;
let served: string;
let cacheDir: string;
let server: Server;
let base: string;
let requests: string[] = [];

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'stylegpu-download-'));
  served = path.join(root, 'served');
  await mkdir(served);
  await writeFile(path.join(served, 'a.bin'), payload);
  await writeFile(path.join(served, 'short.bin'), payload.subarray(0, 100));
  await copyFile(path.join(FIXTURES, 'state_dict.safetensors'), path.join(served, 'state_dict.safetensors'));
  // /files/<name> serves <served>/<name>; /broken/<name> announces all of it, sends half, drops the connection;
  // /mirror/<path> serves ../shared/mirror.
  server = createServer(async (req, res) => {
    requests.push(req.url!);
    const [, route, ...rest] = new URL(req.url!, 'http://localhost').pathname.split('/');
    const dir = route === 'mirror' ? MIRROR : served;
    const file = path.join(dir, ...rest.map(decodeURIComponent));
    const bytes = file.startsWith(dir + path.sep) ? await readFile(file).catch(() => undefined) : undefined;
    if (!bytes) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' });
    if (route === 'broken') {
      res.write(bytes.subarray(0, bytes.length >> 1), () => res.socket?.destroy());
      return;
    }
    for (let at = 0; at < bytes.length; at += 65_536) res.write(bytes.subarray(at, at + 65_536));
    res.end();
  });
  server.requestTimeout = 10_000;
  base = `http://127.0.0.1:${await listen(server)}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  requests = [];
  cacheDir = await mkdtemp(path.join(root, 'cache-'));
});

/** Every file under the cache, relative to it (leftover .part files included). */
async function cacheFiles(): Promise<string[]> {
  return (await readdir(cacheDir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => path.relative(cacheDir, path.join(d.parentPath, d.name))).sort();
}

describe('cached downloads', () => {
  it('downloads once into the cache with progress, then reads the cache without a request', async () => {
    const events: DownloadProgress[] = [];
    const source = cachedUrlSource(`${base}files/`, 'test-model', { cacheDir, onProgress: (p) => events.push(p) });
    const bytes = await source.read('a.bin', { size: payload.length, sha256: payloadSha });
    expect(Buffer.from(bytes).equals(Buffer.from(payload))).toBe(true);
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((e, i) => e.file === 'test-model/a.bin' && e.totalBytes === payload.length && (i === 0 || e.loadedBytes > events[i - 1].loadedBytes))).toBe(true);
    expect(events.at(-1)!.loadedBytes).toBe(payload.length);
    expect(await cacheFiles()).toEqual(['test-model/a.bin']);
    expect(requests).toEqual(['/files/a.bin']);

    const again = await source.read('a.bin', { size: payload.length, sha256: payloadSha });
    expect(Buffer.from(again).equals(Buffer.from(payload))).toBe(true);
    expect(requests).toEqual(['/files/a.bin']);
    expect(events.at(-1)!.loadedBytes).toBe(payload.length);
  });

  it('rejects a download of the wrong size, naming the file and both sizes, and caches nothing', async () => {
    const source = cachedUrlSource(`${base}files/`, 'test-model', { cacheDir });
    await expect(source.read('short.bin', { size: 128 })).rejects.toThrow(`download of ${base}files/short.bin: size mismatch: expected 128 bytes, found 100`);
    expect(await cacheFiles()).toEqual([]);
  });

  it('rejects a download cut off mid-way, naming the file and the byte counts, and caches nothing', async () => {
    const source = cachedUrlSource(`${base}broken/`, 'test-model', { cacheDir });
    const error = await source.read('a.bin').catch((e: Error) => e);
    expect(String(error)).toMatch(new RegExp(`download of ${base}broken/a\\.bin (broke off after \\d+ of 300000 bytes|truncated: received \\d+ of 300000 bytes)`));
    expect(await cacheFiles()).toEqual([]);
  });

  it('rejects a checksum mismatch and caches nothing', async () => {
    const source = cachedUrlSource(`${base}files/`, 'test-model', { cacheDir });
    await expect(source.read('a.bin', { sha256: '00000000' })).rejects.toThrow(`download of ${base}files/a.bin: SHA-256 mismatch: expected 00000000…, got ${payloadSha}`);
    expect(await cacheFiles()).toEqual([]);
  });

  it('refuses file names that would leave the cache folder', async () => {
    const source = cachedUrlSource(`${base}files/`, 'test-model', { cacheDir });
    await expect(source.read('../../evil.bin')).rejects.toThrow('../../evil.bin: file name leaves its folder');
    await expect(source.read('/etc/evil.bin')).rejects.toThrow('file name leaves its folder');
    expect(requests).toEqual([]);
  });

  it('reports a file upstream does not have as missing', async () => {
    const source = cachedUrlSource(`${base}files/`, 'test-model', { cacheDir });
    const error = await source.read('nothing.bin').catch((e: Error) => e);
    expect(error).toBeInstanceOf(MissingFileError);
    expect(String(error)).toContain(`${base}files/nothing.bin: not found (HTTP 404)`);
  });
});

describe('known models', () => {
  it('offline with nothing cached: says what to download, where to put it, and which variable to set', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const vgg = { ...knownModel('vgg19-tfjs'), url: `http://127.0.0.1:${port}/model/` };
    const source = modelSource(vgg, { mirror: '', cacheDir });
    await expect(source.read('group9-shard1of2')).rejects.toThrow(
      `cannot download http://127.0.0.1:${port}/model/group9-shard1of2: fetch failed (ECONNREFUSED). To work offline, download it yourself ` +
        `and save it as ${cacheDir}/vgg19-tfjs/group9-shard1of2, or set STYLEGPU_WEIGHTS_MIRROR to a folder holding vgg19-tfjs/group9-shard1of2`,
    );
    // …and a file put there by hand is then used without the network.
    await mkdir(path.join(cacheDir, 'vgg19-tfjs'));
    await copyFile(path.join(MIRROR, 'vgg19-tfjs/model.json'), path.join(cacheDir, 'vgg19-tfjs/model.json'));
    expect((await source.read('model.json')).length).toBe(20659);
  });

  it('downloads from a mirror URL into the cache, only the files needed', async () => {
    const wave = await loadWeights('ml5-style-transfer/wave', { mirror: `${base}mirror`, cacheDir });
    const { data } = await wave.get('Variable_1', [32]);
    const raw = await readFile(path.join(MIRROR, 'ml5-style-transfer/wave/Variable_1'));
    expect(Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(raw)).toBe(true);
    expect(requests).toEqual(['/mirror/ml5-style-transfer/wave/manifest.json', '/mirror/ml5-style-transfer/wave/Variable_1']);
    expect(await cacheFiles()).toEqual(['ml5-style-transfer/wave/Variable_1', 'ml5-style-transfer/wave/manifest.json']);
  });

  it('refuses a file of a known model downloaded damaged (same size), naming both digests, and caches nothing of it', async () => {
    const bad = path.join(served, 'bad-mirror/ml5-style-transfer/wave');
    await mkdir(bad, { recursive: true });
    await copyFile(path.join(MIRROR, 'ml5-style-transfer/wave/manifest.json'), path.join(bad, 'manifest.json'));
    const good = await readFile(path.join(MIRROR, 'ml5-style-transfer/wave/Variable_1'));
    const broken = Buffer.from(good);
    broken[5] ^= 1;
    await writeFile(path.join(bad, 'Variable_1'), broken);
    const wave = await loadWeights('ml5-style-transfer/wave', { mirror: `${base}files/bad-mirror`, cacheDir });
    const url = `${base}files/bad-mirror/ml5-style-transfer/wave/Variable_1`;
    const want = (await knownModel('ml5-style-transfer/wave').checks()).Variable_1.sha256;
    await expect(wave.get('Variable_1')).rejects.toThrow(
      `download of ${url}: SHA-256 mismatch: expected ${want}, got ${createHash('sha256').update(broken).digest('hex')}: the download was damaged on the way, ` +
        `or ${url} no longer holds the file stylegpu knows: nothing was saved`,
    );
    expect(await cacheFiles()).toEqual(['ml5-style-transfer/wave/manifest.json']);
  });

  it('loads a weight file by URL, cached under its host and path', async () => {
    const url = `${base}files/state_dict.safetensors`;
    const w = await loadWeights(url, { cacheDir });
    expect(w.description).toBe(url);
    expect(w.shape('features.0.weight')).toEqual([4, 3, 3, 3]);
    const host = new URL(base).host;
    expect(existsSync(path.join(cacheDir, host, 'files/state_dict.safetensors'))).toBe(true);
    await loadWeights(url, { cacheDir });
    expect(requests).toEqual(['/files/state_dict.safetensors']);
  });
});
