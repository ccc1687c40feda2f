// A page that uses Gatys: test/package-size.test.ts bundles it from the built package and holds it to the issue's
// budget (70 KB gzip); scripts/bundle-report.mjs shows its modules.
import { StyleGpu } from 'stylegpu';
import { loadGatys } from 'stylegpu/gatys';
const sg = await StyleGpu.create();
const gatys = await loadGatys(sg);
await gatys.run(document.images[0], document.images[1], { canvas: document.querySelector('canvas') });
