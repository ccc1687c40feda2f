// FMA throughput probe (benchmark only): each invocation runs 8 independent vec4 FMA chains for `iters`
// steps — 2·4·8·iters FLOP — and stores their sum so the compiler cannot drop the work.
// Bindings: out (one f32 per invocation); params: FmaPeakParams.

override WG: u32 = 64;

@group(0) @binding(0) var<uniform> params: FmaPeakParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn fmaPeak(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg, WG);
  let m = vec4f(params.mul);
  let c = vec4f(params.add);
  var a0 = vec4f(f32(i)); var a1 = a0 + 1.0; var a2 = a0 + 2.0; var a3 = a0 + 3.0;
  var a4 = a0 + 4.0; var a5 = a0 + 5.0; var a6 = a0 + 6.0; var a7 = a0 + 7.0;
  for (var k = 0u; k < params.iters; k++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
  }
  let s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  if (i < params.n) { out[i] = s.x + s.y + s.z + s.w; }
}
