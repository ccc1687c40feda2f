// What a user steers a StyleGAN generator with, besides the checkpoint: latents from seeds, noise maps, named
// style-mixing ranges and image grids (seed grids, and the style-mixing matrix of the paper's figure 3).
//
// Seeds → numbers: a seed (an integer 0 … 2³²−1) and a stream name ('z', 'noise', 'mean') are hashed (FNV-1a
// over the stream's name, then the seed's four bytes, finished with splitmix32's mixer) into the 128-bit state
// of xoshiro128** (each word a further splitmix32 step); standard normals come from Box–Muller on pairs of
// uniforms u = (x + 0.5)/2³², using both the cosine and the sine outputs. So seed 7's latent is the same on
// every machine and in the browser, and its noise does not depend on the code dimension.
import type { RgbaImage } from '../image/io.ts';
import type { StyledGenerator } from './styleGan.ts';

/** splitmix32's output mixer. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Standard normal numbers of (seed, stream), deterministic. */
export class NormalStream {
  private spare: number | undefined;

  /** The generator in a given xoshiro128** state (four words, not all zero). */
  constructor(private readonly s: Uint32Array) {
    if (s.length !== 4 || s.every((w) => w === 0)) throw new Error('NormalStream: the state is four words, not all zero');
  }

  /** The stream of (seed, stream name). */
  static of(seed: number, stream: string): NormalStream {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be an integer 0 … 4294967295, got ${seed}`);
    let h = 0x811c9dc5;
    for (const byte of [...new TextEncoder().encode(stream), seed & 255, (seed >>> 8) & 255, (seed >>> 16) & 255, seed >>> 24]) {
      h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    }
    let x = mix32(h);
    const state = new Uint32Array(4);
    for (let i = 0; i < 4; i++) state[i] = x = mix32((x + 0x9e3779b9) >>> 0);
    if (state.every((w) => w === 0)) state[0] = 1;
    return new NormalStream(state);
  }

  /** xoshiro128**: the next 32 random bits. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u1 = (this.nextUint32() + 0.5) / 2 ** 32;
    const u2 = (this.nextUint32() + 0.5) / 2 ** 32;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  fill(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Latents [seeds.length, dim]: row i is N(0, 1)^dim from stream 'z' of seeds[i]. */
export function latentsForSeeds(seeds: readonly number[], dim: number): Float32Array {
  const out = new Float32Array(seeds.length * dim);
  seeds.forEach((seed, i) => NormalStream.of(seed, 'z').fill(out.subarray(i * dim, (i + 1) * dim)));
  return out;
}

/** `count` latents for the mean style (truncation), from stream 'mean' of `seed`. */
export function meanStyleLatents(count: number, dim: number, seed = 0): Float32Array {
  return NormalStream.of(seed, 'mean').fill(new Float32Array(count * dim));
}

/** Total length of one image's noise maps 4², 8², … size², concatenated (the --noise file's layout). */
export function noiseLength(size: number): number {
  let n = 0;
  for (let s = 4; s <= size; s *= 2) n += s * s;
  return n;
}

/** One image's concatenated noise maps (noiseLength(size) values) from stream 'noise' of seed. */
export function noiseForSeed(seed: number, size: number): Float32Array {
  return NormalStream.of(seed, 'noise').fill(new Float32Array(noiseLength(size)));
}

/** Per-image concatenated noise maps (each noiseLength(size) long) → the per-block maps [N, s, s] synthesize takes. */
export function splitNoise(perImage: readonly Float32Array[], size: number): Float32Array[] {
  const maps: Float32Array[] = [];
  let at = 0;
  for (let s = 4; s <= size; s *= 2) {
    const map = new Float32Array(perImage.length * s * s);
    perImage.forEach((flat, n) => {
      if (flat.length !== noiseLength(size)) throw new Error(`noise: ${flat.length} values per image, a ${size} px image needs ${noiseLength(size)} (maps 4² … ${size}²)`);
      map.set(flat.subarray(at, at + s * s), n * s * s);
    });
    maps.push(map);
    at += s * s;
  }
  return maps;
}

/** The paper's mixing ranges for a generator of `blocks` progression blocks (4 px … 4·2^(blocks−1) px):
 *  coarse 4²–8², middle 16²–32², fine 64² and up. */
export function namedMixRange(name: string, blocks: number): [number, number] | undefined {
  const ranges: Record<string, [number, number]> = { coarse: [0, 1], middle: [2, 3], fine: [4, blocks - 1] };
  return ranges[name];
}

/** Images (null: an empty, black cell) in rows of `cols`, `padding` black pixels around and between cells
 *  (torchvision's make_grid layout, which upstream's sample images use). */
export function imageGrid(cells: readonly (RgbaImage | null)[], cols: number, padding = 2): RgbaImage {
  const first = cells.find((c): c is RgbaImage => c !== null);
  if (!first) throw new Error('imageGrid: no images');
  const { width: w, height: h } = first;
  const rows = Math.ceil(cells.length / cols);
  const width = cols * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const data = new Uint8ClampedArray(4 * width * height);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  cells.forEach((cell, k) => {
    if (!cell) return;
    if (cell.width !== w || cell.height !== h) throw new Error(`imageGrid: cell ${k} is ${cell.width}×${cell.height}, the others ${w}×${h}`);
    const x0 = padding + (k % cols) * (w + padding);
    const y0 = padding + Math.floor(k / cols) * (h + padding);
    for (let y = 0; y < h; y++) data.set(cell.data.subarray(4 * y * w, 4 * (y + 1) * w), 4 * ((y0 + y) * width + x0));
  });
  return { width, height, data };
}

/** Where an image's noise maps come from: a fixed stream per seed ('const'), a fresh random seed per image
 *  ('random'), none (zeros), or a file's maps (one row for every image, or one row per image). */
export type NoiseSource = { kind: 'const' } | { kind: 'random' } | { kind: 'none' } | { kind: 'file'; rows: Float32Array[] };

/** The concatenated noise maps of the index-th image (seeded by `seed`), or null for none. */
export function imageNoise(source: NoiseSource, seed: number, index: number, size: number): Float32Array | null {
  switch (source.kind) {
    case 'none':
      return null;
    case 'const':
      return noiseForSeed(seed, size);
    case 'random':
      return noiseForSeed(crypto.getRandomValues(new Uint32Array(1))[0], size);
    case 'file':
      return source.rows.length === 1 ? source.rows[0] : source.rows[index];
  }
}

/** One image to make: its latent [codeDim] and concatenated noise maps (null: none). */
export interface ImageSpec {
  latent: Float32Array;
  noise: Float32Array | null;
}

export interface SampleOptions {
  size: number;
  truncation?: { psi: number; meanStyle: Float32Array };
  alpha?: number;
}

/** Generates one image per spec (one at a time, so the batch-1 program is reused and memory stays small). */
export async function sampleImages(g: StyledGenerator, specs: readonly ImageSpec[], o: SampleOptions, mix?: { latents: readonly Float32Array[]; range: readonly [number, number] }): Promise<RgbaImage[]> {
  const out: RgbaImage[] = [];
  for (const [i, spec] of specs.entries()) {
    const [image] = await g.images({
      ...o,
      latents: spec.latent,
      mix: mix && { latents: mix.latents[i], range: mix.range },
      noise: spec.noise ? splitNoise([spec.noise], o.size) : 'zeros',
    });
    out.push(image);
  }
  return out;
}

/** The style-mixing matrix of the paper's figure 3 (and generate.py's style_mixing): a blank corner, the column
 *  images along the top, and each row's image followed by that row's latent with the column latent's styles in
 *  `range` (row r's noise throughout the row). Cells in reading order, `columns.length + 1` per row. */
export async function mixingMatrix(g: StyledGenerator, rows: readonly ImageSpec[], columns: readonly ImageSpec[], range: readonly [number, number], o: SampleOptions): Promise<(RgbaImage | null)[]> {
  const cells: (RgbaImage | null)[] = [null, ...(await sampleImages(g, columns, o))];
  for (const row of rows) {
    cells.push(...(await sampleImages(g, [row], o)));
    const mixed = columns.map((c) => ({ latent: row.latent, noise: row.noise, mixLatent: c.latent }));
    cells.push(...(await sampleImages(g, mixed, o, { latents: mixed.map((m) => m.mixLatent), range })));
  }
  return cells;
}
