export { Graph, type Node } from './graph.ts';
export { grad } from './autodiff.ts';
export { FUSIONS, FUSION_NAMES, type FusionName, type FusionOptions, enabledFusions } from './fusion.ts';
export { Program, type ProgramOptions } from './program.ts';
export * from './ops.ts';
