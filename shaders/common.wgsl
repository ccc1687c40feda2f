// ---- shaders/common.wgsl: helpers prepended to every module.

// Flat invocation index of a 1-D kernel dispatched by grid1d(): x is folded into y when the count passes
// maxComputeWorkgroupsPerDimension, so index = gid.x + gid.y · (num_workgroups.x · workgroup_size.x).
fn flatIndex(gid: vec3u, nwg: vec3u, wgSizeX: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wgSizeX;
}
