// ---- shaders/laneLoads.wgsl: vec4 that every lane of a subgroup needs, loaded once between them (the
// subgroup kernels of conv2dSubgroup.wgsl and matmulSubgroup.wgsl): vec4 k is lane (k mod LANES)'s load
// k / LANES — 4 loads a lane with 4 lanes, 2 with 8 — and laneVec hands it to every lane with subgroupShuffle
// (one vpermd on lavapipe). LANES is the module's override (8 or 4).
struct LaneLoads { m0: vec4f, m1: vec4f, m2: vec4f, m3: vec4f }

// Vec4 k of the shared loads (k and LANES are constants once the functions are inlined: the selects fold away).
fn laneVec(l: LaneLoads, k: u32) -> vec4f {
  let m = k / LANES;
  return subgroupShuffle(select(select(l.m0, l.m1, m == 1u), select(l.m2, l.m3, m == 3u), m >= 2u), k % LANES);
}
