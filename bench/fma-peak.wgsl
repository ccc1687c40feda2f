// FMA throughput probe (benchmark only). Each invocation keeps 5 vec4 accumulators a_k and, per step,
// adds x·m_k to each (a_k = fma(x, m_k, a_k)) and then advances x: the products do not depend on the
// accumulators, so the only dependency chain is one add per step, and 20 independent scalar chains per
// invocation keep the FP units busy even where fma is split into a multiply and an add (llvmpipe does) —
// whereas chains a = fma(a, m, c) wait on multiply + add latency every step. The 20 accumulators stay in
// registers on CPU adapters (the multipliers, loop-invariant, can be memory operands). Every vec4 has four
// distinct components, so a compiler cannot fold the four lanes of a vector into one. The loop body is 8
// steps, so loop overhead (an execution-mask update per iteration on CPU adapters) is negligible.
// FLOP per invocation: 2 (mul + add) · 4 components · 5 accumulators · 8 steps · iters.
// Bindings: out (one f32 per invocation); params: FmaPeakParams (mul, add: step constants from the host,
// so nothing is known at compile time).

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> params: FmaPeakParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn fmaPeak(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  let m0 = params.mul * vec4f(1.0, 1.001, 1.002, 1.003);
  let m1 = m0 * 0.999;
  let m2 = m1 * 0.999;
  let m3 = m2 * 0.999;
  let m4 = m3 * 0.999;
  let d = params.add * vec4f(1.0, 0.9, 0.8, 0.7);
  var x = f32(i) * 1e-6 + vec4f(0.0, 0.25, 0.5, 0.75);
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0); var a4 = vec4f(0.0);
  for (var k = 0u; k < params.iters; k++) {
    a0 = fma(x, m0, a0); a1 = fma(x, m1, a1); a2 = fma(x, m2, a2); a3 = fma(x, m3, a3); a4 = fma(x, m4, a4); x += d;
    a0 = fma(x, m0, a0); a1 = fma(x, m1, a1); a2 = fma(x, m2, a2); a3 = fma(x, m3, a3); a4 = fma(x, m4, a4); x += d;
    a0 = fma(x, m0, a0); a1 = fma(x, m1, a1); a2 = fma(x, m2, a2); a3 = fma(x, m3, a3); a4 = fma(x, m4, a4); x += d;
    a0 = fma(x, m0, a0); a1 = fma(x, m1, a1); a2 = fma(x, m2, a2); a3 = fma(x, m3, a3); a4 = fma(x, m4, a4); x += d;
    a0 = fma(x, m0, a0); a1 = fma(x, m1, a1); a2 = fma(x, m2, a2); a3 = fma(x, m3, a3); a4 = fma(x, m4, a4); x += d;
    a0 = fma(x, m0, a0); a1 = fma(x, m1, a1); a2 = fma(x, m2, a2); a3 = fma(x, m3, a3); a4 = fma(x, m4, a4); x += d;
    a0 = fma(x, m0, a0); a1 = fma(x, m1, a1); a2 = fma(x, m2, a2); a3 = fma(x, m3, a3); a4 = fma(x, m4, a4); x += d;
    a0 = fma(x, m0, a0); a1 = fma(x, m1, a1); a2 = fma(x, m2, a2); a3 = fma(x, m3, a3); a4 = fma(x, m4, a4); x += d;
  }
  let s = a0 + a1 + a2 + a3 + a4;
  if (i < params.n) { out[i] = s.x + s.y + s.z + s.w; }
}
