// ---- shaders/outputLayout.wgsl: where a producer stores output element (plane, h, w), plane = n·C + c:
// row-major, or inside the zero border of a padded layout (geometry.ts paddedIndex, the one formula). Reads
// the OUTPUT_LAYOUT_FIELDS of `params` (kernels/layout.ts).
fn outIndex(plane: u32, h: u32, w: u32) -> u32 {
  return plane * params.outPlaneStride + (params.outTop + h) * params.outRowStride + params.outLeft + w;
}

// Element i of the output in row-major order (two divisions: each remainder is taken by a multiply).
fn outIndexFlat(i: u32) -> u32 {
  let planeSize = params.outRows * params.outCols;
  let plane = i / planeSize;
  let p = i - plane * planeSize;
  let h = p / params.outCols;
  return outIndex(plane, h, p - h * params.outCols);
}
