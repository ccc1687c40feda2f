// ---- shaders/epilogue.wgsl: the activation the convolution and matrix-product kernels apply to their
// results (after the bias), chosen by define: RELU, LEAKY_RELU (slope from the module's params.slope), or
// neither (identity).
fn activate(v: f32) -> f32 {
#if RELU
  return max(v, 0.0);
#elif LEAKY_RELU
  return select(params.slope * v, v, v >= 0.0);
#else
  return v;
#endif
}

fn activate4(v: vec4f) -> vec4f {
  return vec4f(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
}
