// A page that uses one pretrained network, in the README's three lines: test/package-size.test.ts bundles it from
// the built package and holds it to the budget (40 KB gzip); scripts/bundle-report.mjs shows its modules.
import { StyleGpu } from 'stylegpu';
const sg = await StyleGpu.create();
const net = await sg.network('wave');
await net.stylize(document.querySelector('img'), { canvas: document.querySelector('canvas') });
