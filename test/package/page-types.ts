// Typechecked against the installed package's .d.ts by test/package-e2e.test.ts (never run): the page API as a
// TypeScript page author sees it.
import { StyleGpu, WeightsError, type RgbaImage } from 'stylegpu';
import { loadGatys } from 'stylegpu/gatys';
const sg = await StyleGpu.create();
const net = await sg.network('wave');
const out: ImageData = await net.stylize(document.querySelector('img')!, { canvas: document.querySelector('canvas')! });
const g = await loadGatys(sg);
const r = await g.run(out, out, { imageSize: 64 });
console.log(r.finalLoss, WeightsError);
export type X = RgbaImage;
