// Node-side image files: read PNG/JPEG from disk, write PNG (creating folders).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type RgbaImage, decodeImage, encodePng } from '../image/io.ts';

export async function readImageFile(path: string): Promise<RgbaImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read image ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return decodeImage(bytes, path);
}

export async function writePngFile(path: string, img: RgbaImage): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, encodePng(img));
}
