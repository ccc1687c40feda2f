export { Graph, type Node } from './graph.ts';
export { grad } from './autodiff.ts';
export { Program, type ProgramOptions } from './program.ts';
export * from './ops.ts';
