#!/usr/bin/env node
// The benchmark tool (bench/tool/cli.ts) without a build step, like bin/stylegpu.js.
import '../src/node/register.js';

await import('../bench/tool/cli.ts');
