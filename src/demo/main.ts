// The web demo (index.html, served by `npm run dev`): Gatys or a pretrained network on the page's WebGPU.
// Weights come from their public sources, or from a mirror given as ?mirror=URL (e.g. the development mirror
// through Vite: ?mirror=/@fs/ABSOLUTE/PATH/shared/mirror/).
import { decodeImage, type RgbaImage } from '../image/io.ts';
import { FastStyleNet } from '../models/fastStyle.ts';
import { gatys } from '../models/gatys.ts';
import { Vgg19, vggWeights } from '../models/vgg19.ts';
import { Engine } from '../runtime/engine.ts';
import { ML5_STYLES, loadWeights } from '../weights/index.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const log = (s: string) => (status.textContent = s);
const mirror = new URLSearchParams(location.search).get('mirror') ?? undefined;
const weightOptions = { mirror, onProgress: (p: { file: string; loadedBytes: number; totalBytes?: number }) => log(`downloading ${p.file}: ${(p.loadedBytes / 2 ** 20).toFixed(1)} MiB${p.totalBytes ? ` of ${(p.totalBytes / 2 ** 20).toFixed(1)}` : ''}`) };

for (const s of ML5_STYLES) $<HTMLSelectElement>('network').add(new Option(s, s));

async function fetchImage(url: string): Promise<RgbaImage> {
  return decodeImage(new Uint8Array(await (await fetch(url)).arrayBuffer()), url);
}
async function fileImage(input: HTMLInputElement, fallback: string): Promise<RgbaImage> {
  const f = input.files?.[0];
  return f ? decodeImage(new Uint8Array(await f.arrayBuffer()), f.name) : fetchImage(fallback);
}
for (const [input, img] of [['contentFile', 'contentPreview'], ['styleFile', 'stylePreview']] as const) {
  $<HTMLInputElement>(input).onchange = () => {
    const f = $<HTMLInputElement>(input).files?.[0];
    if (f) $<HTMLImageElement>(img).src = URL.createObjectURL(f);
  };
}

function show(img: RgbaImage): void {
  const canvas = $<HTMLCanvasElement>('output');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
}

let engine: Engine;
let vgg: Vgg19 | undefined;
let abort: AbortController | undefined;

async function run(): Promise<void> {
  const content = await fileImage($('contentFile'), '/examples/content/chelsea.png');
  const size = Number($<HTMLInputElement>('size').value);
  const t0 = performance.now();
  if (document.querySelector<HTMLInputElement>('input[name=method]:checked')!.value === 'fast') {
    const name = $<HTMLSelectElement>('network').value;
    const net = await FastStyleNet.load(engine, await loadWeights(`ml5-style-transfer/${name}`, weightOptions));
    show(await net.stylize(content, { longestSide: size }));
    net.release();
    log(`${name}: ${(performance.now() - t0).toFixed(0)} ms`);
    return;
  }
  const style = await fileImage($('styleFile'), '/examples/style/starry_night.png');
  // The layers the public tfjs VGG19 has in full; with the partial development mirror, relu3_x only.
  const layers = mirror ? { contentLayers: ['relu3_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'] } : {};
  vgg ??= await Vgg19.load(engine, vggWeights(await loadWeights('vgg19-tfjs', weightOptions)), mirror ? 'relu3_2' : 'relu5_1');
  const iterations = Number($<HTMLInputElement>('iterations').value);
  abort = new AbortController();
  $<HTMLButtonElement>('stop').disabled = false;
  const r = await gatys(engine, vgg, content, [style], {
    imageSize: size, iterations, ...layers, signal: abort.signal,
    onIteration: async ({ iteration, loss, image }) => {
      log(`iteration ${iteration}/${iterations}  loss ${loss.toExponential(3)}  ${(iteration / ((performance.now() - t0) / 1000)).toFixed(2)} it/s`);
      if (image && (iteration % 10 === 0 || iteration === 1)) show(await image());
    },
  });
  show(r.image);
  $<HTMLButtonElement>('stop').disabled = true;
  log(`${r.aborted ? 'stopped' : 'done'}: ${r.iterations} iterations in ${((performance.now() - t0) / 1000).toFixed(1)} s, loss ${r.initialLoss.toExponential(3)} → ${r.finalLoss.toExponential(3)}`);
}

$<HTMLButtonElement>('stop').onclick = () => abort?.abort();
$<HTMLButtonElement>('run').onclick = () => {
  $<HTMLButtonElement>('run').disabled = true;
  run()
    .catch((e) => log(`error: ${e instanceof Error ? e.message : String(e)}`))
    .finally(() => ($<HTMLButtonElement>('run').disabled = false));
};

try {
  engine = await Engine.create();
  $('adapter').textContent = `Adapter: ${engine.describe()}`;
  log('ready');
} catch (e) {
  log(`error: ${e instanceof Error ? e.message : String(e)}`);
}
