// ---- shaders/items.wgsl: the item type of families whose kernels take define VEC4 (elementwise, activation,
// norm). An item is one f32, or with VEC4 (the host sets it when the size, or the plane a kernel walks, is a
// multiple of 4) a vec4 of 4: on CPU adapters a vec4 load or store costs little more than a scalar one
// (lavapipe: relu over 2 M floats 2.4× faster). Kernel bodies are written once, in T.
#if VEC4
alias T = vec4f;
const ELEMS = 4u;  // elements per item
fn total(v: T) -> f32 { return v.x + v.y + v.z + v.w; }
fn element(v: T, k: u32) -> f32 { return v[k]; }
#else
alias T = f32;
const ELEMS = 1u;
fn total(v: T) -> f32 { return v; }
fn element(v: T, k: u32) -> f32 { return v; }
#endif
