// ---- shaders/workgroupReduce.wgsl: reductions over one workgroup, for modules that declare the item type
// (`alias ReduceItem = f32;`, or vec2f for two sums at once) and `override WG: u32` (a power of two ≤ 256).
// Pairwise in shared memory (log2 WG steps), which keeps f32 error near O(log n · ε) rather than the O(n · ε)
// of a serial loop. Every invocation gets the result; the trailing barrier lets everyone read it before a
// later call overwrites the scratch.

var<workgroup> reduceScratch: array<ReduceItem, 256>;

// Σ v (useMax false) or max v (componentwise) over the workgroup.
fn workgroupReduce(lid: u32, v: ReduceItem, useMax: bool) -> ReduceItem {
  reduceScratch[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) {
      let a = reduceScratch[lid];
      let b = reduceScratch[lid + stride];
      reduceScratch[lid] = select(a + b, max(a, b), useMax);
    }
    workgroupBarrier();
  }
  let total = reduceScratch[0];
  workgroupBarrier();
  return total;
}

fn workgroupSum(lid: u32, v: ReduceItem) -> ReduceItem {
  return workgroupReduce(lid, v, false);
}

fn workgroupMax(lid: u32, v: ReduceItem) -> ReduceItem {
  return workgroupReduce(lid, v, true);
}
