import { describe, expect, it } from 'vitest';
import { conv2dOutputShape, convTransposeMismatch, poolGeometry, poolOutputSize, samePadding, tfConvTranspose2dSame, torchConvTranspose2d } from '../src/kernels/geometry.ts';

describe('conv geometry', () => {
  it('conv2dOutputShape is floor((H + pads − K) / stride) + 1 and names misfits', () => {
    expect(conv2dOutputShape('op', [2, 3, 9, 8], [5, 3, 3, 2], 2, { top: 1, bottom: 0, left: 0, right: 1 })).toEqual([2, 5, 4, 4]);
    expect(() => conv2dOutputShape('op', [1, 3, 2, 2], [1, 3, 5, 5], 1, { top: 0, bottom: 0, left: 0, right: 0 })).toThrow(/op: kernel 5×5 is larger/);
    expect(() => conv2dOutputShape('op', [1, 4, 8, 8], [1, 3, 3, 3], 1, { top: 0, bottom: 0, left: 0, right: 0 })).toThrow(/has 4 channels, weight .* expects 3/);
  });
  it('transposed geometries invert the conv they are the adjoint of', () => {
    for (const [H, K, s, p, op] of [[5, 3, 2, 1, 1], [4, 4, 2, 1, 0], [7, 9, 1, 4, 0], [3, 3, 3, 0, 2]]) {
      expect(convTransposeMismatch(H, H, K, K, torchConvTranspose2d(H, H, K, K, s, p, op))).toBeUndefined();
    }
    for (const [H, K, s] of [[5, 3, 2], [8, 4, 2], [7, 9, 1]]) {
      const t = tfConvTranspose2dSame(H, H, K, K, s);
      expect([t.outH, t.outW]).toEqual([H * s, H * s]);
      expect(convTransposeMismatch(H, H, K, K, t)).toBeUndefined();
      expect(samePadding(t.outH, t.outW, K, K, s).outH).toBe(H);
    }
    expect(convTransposeMismatch(5, 5, 3, 3, { stride: 2, padding: { top: 1, bottom: 1, left: 1, right: 1 }, outH: 11, outW: 9 })).toMatch(/does not invert a conv to 5×5/);
  });
});

describe('pool geometry', () => {
  it('floor and ceil mode as PyTorch (values from torch.nn.MaxPool2d)', () => {
    expect(poolOutputSize(7, 2, 2)).toBe(3);
    expect(poolOutputSize(7, 2, 2, true)).toBe(4);
    expect(poolOutputSize(8, 3, 2, true)).toBe(4);
    expect(poolOutputSize(6, 3, 3, true)).toBe(2);
    // ceil mode never starts a window past the input: MaxPool2d(1, 3, ceil_mode=True) maps 5 to 2, not 3.
    expect(poolOutputSize(5, 1, 3, true)).toBe(2);
    expect(poolOutputSize(7, 2, 3, true)).toBe(3);
  });
  it('poolGeometry checks the window', () => {
    expect(poolGeometry('p', [1, 2, 7, 9], { kernel: 2, ceilMode: true }).outShape).toEqual([1, 2, 4, 5]);
    expect(() => poolGeometry('p', [1, 2, 2, 9], { kernel: 3 })).toThrow(/p: kernel 3 does not fit/);
    expect(() => poolGeometry('p', [1, 2, 9, 9], { kernel: 2, stride: 0 })).toThrow(/positive integers/);
  });
});
