// ---- shaders/itemStore.wgsl: how an item kernel (items.wgsl) stores item i of its result `out`: one store, or
// with define PADDED_OUT (out an array<f32> in a padded layout) its elements where outIndexFlat puts them
// (outputLayout.wgsl). The kernel declares `out` as array<T>, or array<f32> under PADDED_OUT.
fn storeOut(i: u32, v: T) {
#if PADDED_OUT
  // When a row holds whole items (outCols a multiple of ELEMS: uniform over the dispatch), an item's elements are
  // consecutive in the padded layout too, so its place is computed once, not per element: outIndexFlat's integer
  // divisions are what a padded store costs on a CPU adapter (bench/FUSION.md, paddedOutput).
  if (params.outCols % ELEMS == 0u) {
    let base = outIndexFlat(ELEMS * i);
    for (var k = 0u; k < ELEMS; k++) { out[base + k] = element(v, k); }
  } else {
    for (var k = 0u; k < ELEMS; k++) { out[outIndexFlat(ELEMS * i + k)] = element(v, k); }
  }
#else
  out[i] = v;
#endif
}
