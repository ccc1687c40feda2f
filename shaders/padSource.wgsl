// ---- shaders/padSource.wgsl: where a padded convolution input reads (conv2d.wgsl, conv2dTiled.wgsl), zero or
// REFLECT padding by define.

// Pixel of the large grid that padded coordinate i (relative to the unpadded origin) reads, or -1 for a zero.
// Reflect needs every pad < size (checked by the host), so one mirror suffices.
fn source(i: i32, size: i32) -> i32 {
#if REFLECT
  let r = abs(i);
  return select(r, 2 * (size - 1) - r, r >= size);
#else
  return select(-1, i, i >= 0 && i < size);
#endif
}
