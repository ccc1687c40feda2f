// Tile shapes of the shared-memory tiled matrix-product core (shaders/tiledGemm.wgsl) that conv2dTiled.ts
// and gram.ts run on real GPUs: the presets, which one a problem gets, and why a device cannot run one.
import type { GpuContext } from '../runtime/device.ts';

/** A workgroup's TM × TN tile of C, staged TK deep along K; (TM/4)·(TN/4) invocations of 4 × 4 outputs. */
export interface GemmTile {
  readonly TM: number;
  readonly TN: number;
  readonly TK: number;
}

/** Largest first: 256, 128 and 64 invocations, 8, 6 and 2 KiB of workgroup storage. */
export const GEMM_TILES: readonly GemmTile[] = [
  { TM: 64, TN: 64, TK: 16 },
  { TM: 32, TN: 64, TK: 16 },
  { TM: 32, TN: 32, TK: 8 },
];

export const gemmInvocations = (t: GemmTile) => (t.TM / 4) * (t.TN / 4);
export const gemmStorageBytes = (t: GemmTile) => 4 * t.TK * (t.TM + t.TN);

/** Why this device cannot run tile t, or undefined. */
export function gemmTileReason(ctx: GpuContext, t: GemmTile): string | undefined {
  const { maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX, maxComputeWorkgroupStorageSize } = ctx.limits;
  const threads = gemmInvocations(t);
  // TM a multiple of 16 makes the invocations a multiple of TN, so each stages one column of B (tiledGemm.wgsl).
  if (t.TM % 16 !== 0 || t.TN % 4 !== 0 || t.TM < 16 || t.TN < 4 || !Number.isInteger(t.TK) || t.TK < 1) {
    return `needs a tile with TM a multiple of 16, TN of 4 and TK ≥ 1, got ${JSON.stringify(t)}`;
  }
  if (threads > Math.min(maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX)) {
    return `needs ${threads} invocations per workgroup for tile ${t.TM}×${t.TN}, this device allows ${Math.min(maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX)}`;
  }
  if (gemmStorageBytes(t) > maxComputeWorkgroupStorageSize) {
    return `needs ${gemmStorageBytes(t)} bytes of workgroup storage for tile ${t.TM}×${t.TN}×${t.TK}, this device allows ${maxComputeWorkgroupStorageSize}`;
  }
  return undefined;
}

/** The tile a C of M × N gets: the largest preset the device runs, with 32 rows (columns) where M (N) ≤ 32
 *  so that no tile is mostly padding; `tile` if given. */
export function gemmTileFor(ctx: GpuContext, M: number, N: number, tile?: GemmTile): GemmTile | string {
  if (tile) return gemmTileReason(ctx, tile) ?? tile;
  const fitting = GEMM_TILES.filter((t) => !gemmTileReason(ctx, t));
  if (!fitting.length) return gemmTileReason(ctx, GEMM_TILES[GEMM_TILES.length - 1])!;
  return fitting.find((t) => (M > 32 || t.TM <= 32) && (N > 32 || t.TN <= 32)) ?? fitting[fitting.length - 1];
}

/** The workgroup grid of C (M × N) in `batches` items with tile t: [ceil(N/TN), ceil(M/TM), batches]. */
export function gemmGrid(t: GemmTile, M: number, N: number, batches: number): [number, number, number] {
  return [Math.ceil(N / t.TN), Math.ceil(M / t.TM), batches];
}

/** Why C (M × N, `batches` items) cannot run on this device with the tile it gets, or undefined. */
export function gemmReason(ctx: GpuContext, M: number, N: number, batches: number, tile?: GemmTile): string | undefined {
  const t = gemmTileFor(ctx, M, N, tile);
  if (typeof t === 'string') return t;
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  const grid = gemmGrid(t, M, N, batches);
  if (Math.max(...grid) > maxDim) return `needs ${grid.join(' × ')} workgroups, more than ${maxDim} along one dimension`;
  return undefined;
}
