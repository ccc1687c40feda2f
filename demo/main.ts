// The web demo (demo/index.html; `npm run dev`, `npm run build:demo`), written on the page API a user gets from
// the package (src/web). Weights come from their public sources, or from a mirror given as ?mirror=URL (the
// development mirror through Vite: ?mirror=/mirror/).
import { GATYS_DEFAULTS, type GatysStyler, loadGatys } from '../src/web/gatys.ts';
import { ML5_STYLES, NoWebGpuError, StyleGpu } from '../src/web/index.ts';
import chelseaUrl from '../examples/content/chelsea.png?url';
import starryNightUrl from '../examples/style/starry_night.png?url';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const log = (s: string) => (status.textContent = s);
const mirror = new URLSearchParams(location.search).get('mirror') ?? undefined;
const weights = {
  baseUrl: mirror,
  onProgress: (p: { file: string; loadedBytes: number; totalBytes?: number }) =>
    log(`downloading ${p.file}: ${(p.loadedBytes / 2 ** 20).toFixed(1)} MiB${p.totalBytes ? ` of ${(p.totalBytes / 2 ** 20).toFixed(1)}` : ''}`),
};
// The layers the public tfjs VGG19 has in full; with the partial development mirror, relu3_x only.
const layers = mirror ? { contentLayers: ['relu3_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'] } : { contentLayers: GATYS_DEFAULTS.contentLayers, styleLayers: GATYS_DEFAULTS.styleLayers };

for (const s of ML5_STYLES) $<HTMLSelectElement>('network').add(new Option(s, s));

// Images: the bundled examples first; a picked or dropped file replaces one.
const contentImg = $<HTMLImageElement>('contentPreview');
const styleImg = $<HTMLImageElement>('stylePreview');
contentImg.src = chelseaUrl;
styleImg.src = starryNightUrl;
function useFile(img: HTMLImageElement, file: File | undefined): void {
  if (file) img.src = URL.createObjectURL(file);
}
for (const [input, img] of [['contentFile', contentImg], ['styleFile', styleImg]] as const) {
  $<HTMLInputElement>(input).onchange = () => useFile(img, $<HTMLInputElement>(input).files?.[0]);
  img.ondragover = (ev) => {
    ev.preventDefault();
    img.classList.add('over');
  };
  img.ondragleave = () => img.classList.remove('over');
  img.ondrop = (ev) => {
    ev.preventDefault();
    img.classList.remove('over');
    useFile(img, ev.dataTransfer?.files[0]);
  };
}

const output = $<HTMLCanvasElement>('output');
$<HTMLButtonElement>('download').onclick = () => {
  output.toBlob((blob) => {
    if (!blob) return;
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'stylegpu.png' });
    a.click();
    URL.revokeObjectURL(a.href);
  }, 'image/png');
};

let sg: StyleGpu;
let gatys: GatysStyler | undefined;
let abort: AbortController | undefined;

async function run(): Promise<void> {
  const size = Number($<HTMLInputElement>('size').value);
  const t0 = performance.now();
  abort = new AbortController();
  $<HTMLButtonElement>('stop').disabled = false;
  if (document.querySelector<HTMLInputElement>('input[name=method]:checked')!.value === 'fast') {
    const name = $<HTMLSelectElement>('network').value;
    const net = await sg.network(name, { ...weights, signal: abort.signal });
    try {
      await net.stylize(contentImg, { longestSide: size, canvas: output, signal: abort.signal, onProgress: (done, total) => log(`${name}: layer ${done}/${total}`) });
    } finally {
      net.release();
    }
    log(`${name}: ${(performance.now() - t0).toFixed(0)} ms`);
    return;
  }
  gatys ??= await loadGatys(sg, { ...weights, deepestLayer: mirror ? 'relu3_2' : undefined });
  const iterations = Number($<HTMLInputElement>('iterations').value);
  const r = await gatys.run(contentImg, styleImg, {
    imageSize: size,
    iterations,
    ...layers,
    originalColors: $<HTMLInputElement>('originalColors').checked,
    signal: abort.signal,
    canvas: output,
    previewEvery: 10,
    onIteration: ({ iteration, loss }) =>
      log(`iteration ${iteration}/${iterations}  loss ${loss.toExponential(3)}  ${(iteration / ((performance.now() - t0) / 1000)).toFixed(2)} it/s`),
  });
  log(`${r.aborted ? 'stopped' : 'done'}: ${r.iterations} iterations in ${((performance.now() - t0) / 1000).toFixed(1)} s, loss ${r.initialLoss.toExponential(3)} → ${r.finalLoss.toExponential(3)}`);
}

$<HTMLButtonElement>('stop').onclick = () => abort?.abort();
$<HTMLButtonElement>('run').onclick = () => {
  $<HTMLButtonElement>('run').disabled = true;
  run()
    .then(() => ($<HTMLButtonElement>('download').disabled = false))
    .catch((e) => log(`${(e as Error)?.name === 'AbortError' ? 'stopped' : `error: ${e instanceof Error ? e.message : String(e)}`}`))
    .finally(() => {
      $<HTMLButtonElement>('run').disabled = false;
      $<HTMLButtonElement>('stop').disabled = true;
    });
};

try {
  sg = await StyleGpu.create();
  $('adapter').textContent = `Adapter: ${sg.describe()}`;
  log('ready');
} catch (e) {
  if (e instanceof NoWebGpuError) {
    document.body.classList.add('nowebgpu');
    $('nowebgpuDetail').textContent = e.message;
  }
  log(`error: ${e instanceof Error ? e.message : String(e)}`);
}
