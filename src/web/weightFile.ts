// A weight file a page holds or points at — a URL, or the bytes of a file the user dropped or picked — opened in
// whichever format its bytes show (.pth, .safetensors, model.json, manifest.json). For the models whose weights
// have no registry entry (AdaIN, Gated GAN, StyleGAN): nothing is cached or checked against a digest, since
// nothing is known about the file beforehand.
import { openWeightFile } from '../weights/index.ts';
import { type DownloadProgress, type FileSource, urlSource } from '../weights/source.ts';
import type { WeightSet } from '../weights/tensors.ts';
import { weightsError } from './weights.ts';

/** A URL (relative ones resolve against the page), or the file's bytes (a dropped or picked File, or a buffer). */
export type WeightFile = string | Blob | ArrayBuffer | Uint8Array;

export interface WeightFileOptions {
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** How `file` is named in messages. */
export function weightFileName(file: WeightFile): string {
  if (typeof file === 'string') return file;
  if (typeof Blob !== 'undefined' && file instanceof Blob) return (file as File).name ?? `a ${file.size}-byte blob`;
  return `a ${(file as ArrayBuffer | Uint8Array).byteLength}-byte buffer`;
}

/** One file's bytes as a FileSource (so that the format detection of weights/index.ts applies). */
function bytesSource(name: string, bytes: Uint8Array): FileSource {
  return { where: () => name, read: async () => bytes };
}

/** The weights in `file`; WeightsError names the file and what is wrong ('not-found', 'download', 'corrupt'). */
export async function openWeightInput(file: WeightFile, opts: WeightFileOptions = {}): Promise<WeightSet> {
  const name = weightFileName(file);
  try {
    opts.signal?.throwIfAborted();
    if (typeof file === 'string') {
      const url = new URL(file, typeof document !== 'undefined' ? document.baseURI : undefined);
      const cut = url.href.lastIndexOf('/') + 1;
      return await openWeightFile(urlSource(url.href.slice(0, cut), { onProgress: opts.onProgress }), url.href.slice(cut));
    }
    const bytes = file instanceof Uint8Array ? file : new Uint8Array(file instanceof ArrayBuffer ? file : await file.arrayBuffer());
    return await openWeightFile(bytesSource(name, bytes), name);
  } catch (e) {
    throw weightsError(name, e);
  }
}
