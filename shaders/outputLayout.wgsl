// ---- shaders/outputLayout.wgsl: where a producer stores output element (plane, h, w), plane = n·C + c:
// row-major, or inside the zero border of a padded layout (geometry.ts paddedIndex, the one formula). Reads
// the OUTPUT_LAYOUT_FIELDS of `params` (kernels/layout.ts).
fn outIndex(plane: u32, h: u32, w: u32) -> u32 {
  return plane * params.outPlaneStride + (params.outTop + h) * params.outRowStride + params.outLeft + w;
}

// Element i of the output in row-major order.
fn outIndexFlat(i: u32) -> u32 {
  let p = i % (params.outRows * params.outCols);
  return outIndex(i / (params.outRows * params.outCols), p / params.outCols, p % params.outCols);
}
