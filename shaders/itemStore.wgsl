// ---- shaders/itemStore.wgsl: how an item kernel (items.wgsl) stores item i of its result `out`: one store, or
// with define PADDED_OUT (out an array<f32> in a padded layout) each of its elements where outIndexFlat puts it
// (outputLayout.wgsl). The kernel declares `out` as array<T>, or array<f32> under PADDED_OUT.
fn storeOut(i: u32, v: T) {
#if PADDED_OUT
  for (var k = 0u; k < ELEMS; k++) { out[outIndexFlat(ELEMS * i + k)] = element(v, k); }
#else
  out[i] = v;
#endif
}
