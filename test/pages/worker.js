// A page that runs stylegpu in its Worker mode: test/package-size.test.ts bundles it from the built package and
// checks that the page's own bundler emitted the Worker (and that the other pages carry no Worker code).
import { StyleGpuWorker } from 'stylegpu/worker';
const sg = await StyleGpuWorker.create();
const net = await sg.network('wave');
await net.stylize(document.querySelector('img'), { canvas: document.querySelector('canvas') });
