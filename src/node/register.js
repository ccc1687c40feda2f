// Lets plain `node` run stylegpu's TypeScript sources: tsx for .ts, our hook for `?raw` shader imports.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./wgsl-raw-hooks.js', import.meta.url);
