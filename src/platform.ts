// Whether this code runs under Node (files, a disk cache, node:crypto) rather than in a page. The page build
// (scripts/build.mjs) replaces this module with `IN_NODE = false`, so that bundlers drop the Node-only code from
// pages; everywhere else (Node, and pages served from the sources) it is decided when the module loads.
export const IN_NODE: boolean = typeof process !== 'undefined' && !!process.versions?.node;
