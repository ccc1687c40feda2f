#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx + the `?raw` shader hook): no build step after install.
import '../src/node/register.js';

const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv.slice(2)));
