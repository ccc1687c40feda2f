// The web demo (demo/index.html; `npm run dev`, `npm run build:demo`), written on the page API a user gets from
// the package (src/web): every method the engine has. The ml5 networks and Gatys's VGG19 come from their public
// sources, or from a mirror given as ?mirror=URL (the development mirror through Vite: ?mirror=/mirror/); AdaIN's
// weights from their public release or any URL; Gated GAN and StyleGAN checkpoints from a URL or a dropped or
// picked file (they have no public home a page can fetch from).
import { ADAIN_WEIGHT_URLS, loadAdain } from '../src/web/adain.ts';
import { loadGatedGan } from '../src/web/gatedgan.ts';
import { GATYS_DEFAULTS, type GatysStyler, loadGatys } from '../src/web/gatys.ts';
import { ML5_STYLES, NoWebGpuError, StyleGpu } from '../src/web/index.ts';
import { loadStyleGan } from '../src/web/stylegan.ts';
import type { WeightFile } from '../src/web/weightFile.ts';
import chelseaUrl from '../examples/content/chelsea.png?url';
import brickUrl from '../examples/style/brick.png?url';
import starryNightUrl from '../examples/style/starry_night.png?url';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);
const status = $('status');
const log = (s: string) => (status.textContent = s);
const params = new URLSearchParams(location.search);
const mirror = params.get('mirror') ?? undefined;
type Progress = { onProgress: (p: { file: string; loadedBytes: number; totalBytes?: number }) => void };
/** `load` with its download progress shown in the status line while it runs, and only then: a parallel download
 *  still reporting after its sibling failed must not overwrite the error. */
async function withProgress<T>(load: (progress: Progress) => Promise<T>): Promise<T> {
  let live = true;
  try {
    return await load({
      onProgress: (p) => {
        if (live) log(`downloading ${p.file}: ${(p.loadedBytes / 2 ** 20).toFixed(1)} MiB${p.totalBytes ? ` of ${(p.totalBytes / 2 ** 20).toFixed(1)}` : ''}`);
      },
    });
  } finally {
    live = false;
  }
}

type Method = 'gatys' | 'fast' | 'adain' | 'gatedgan' | 'stylegan';
const method = () => document.querySelector<HTMLInputElement>('input[name=method]:checked')!.value as Method;

/** Only the controls of the chosen method are shown (elements list theirs in data-methods). */
function showMethod(): void {
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-methods]'))) el.hidden = !el.dataset.methods!.split(' ').includes(method());
}
for (const radio of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=method]'))) radio.onchange = showMethod;
$<HTMLSelectElement>('network').onchange = () => (document.querySelector<HTMLInputElement>('input[name=method][value=fast]')!.checked = true, showMethod());
showMethod();

for (const s of ML5_STYLES) $<HTMLSelectElement>('network').add(new Option(s, s));

/** Gatys layer presets; the development mirror holds VGG19 up to relu3_x only, so it offers the shallow ones. */
const LAYER_PRESETS: Record<string, { label: string; contentLayers: string[]; styleLayers: string[]; full: boolean }> = {
  'neural-style': { label: 'neural-style: content relu4_2, style relu1_1 … relu5_1', contentLayers: GATYS_DEFAULTS.contentLayers, styleLayers: GATYS_DEFAULTS.styleLayers, full: true },
  shallow: { label: 'shallow: content relu3_2, style relu1_1, relu2_1, relu3_1', contentLayers: ['relu3_2'], styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'], full: false },
  textures: { label: 'fine textures: content relu2_2, style relu1_1, relu2_1', contentLayers: ['relu2_2'], styleLayers: ['relu1_1', 'relu2_1'], full: false },
};
for (const [key, p] of Object.entries(LAYER_PRESETS)) if (!mirror || !p.full) $<HTMLSelectElement>('layers').add(new Option(p.label, key));

// Range sliders show their value.
for (const [range, out] of [['alpha', 'alphaValue'], ['style2Weight', 'style2WeightValue'], ['psi', 'psiValue']]) {
  input(range).oninput = () => ($(out).textContent = input(range).value);
}

/** Drag and drop onto `el` (an image or a fieldset): the first dropped file goes to `onFile`. */
function dropZone(el: HTMLElement, onFile: (file: File) => void): void {
  el.ondragover = (ev) => {
    ev.preventDefault();
    el.classList.add('over');
  };
  el.ondragleave = () => el.classList.remove('over');
  el.ondrop = (ev) => {
    ev.preventDefault();
    el.classList.remove('over');
    const file = ev.dataTransfer?.files[0];
    if (file) onFile(file);
  };
}

/** Puts `file` into a file input, as if picked, and tells its listeners. */
function setFile(picker: HTMLInputElement, file: File): void {
  const dt = new DataTransfer();
  dt.items.add(file);
  picker.files = dt.files;
  picker.dispatchEvent(new Event('change'));
}

// Images: the bundled examples first; a picked or dropped file replaces one.
const contentImg = $<HTMLImageElement>('contentPreview');
const styleImg = $<HTMLImageElement>('stylePreview');
const style2Img = $<HTMLImageElement>('style2Preview');
contentImg.src = chelseaUrl;
styleImg.src = starryNightUrl;
style2Img.src = brickUrl;
for (const [id, img] of [['contentFile', contentImg], ['styleFile', styleImg], ['style2File', style2Img]] as const) {
  input(id).onchange = () => {
    const file = input(id).files?.[0];
    if (file) img.src = URL.createObjectURL(file);
  };
  dropZone(img, (file) => setFile(input(id), file));
}

/** A weight file: the picked/dropped file if there is one, else the URL typed in. */
function weightSource(fileId: string, urlId: string): WeightFile | undefined {
  return input(fileId).files?.[0] ?? (input(urlId).value.trim() || undefined);
}
const describeSource = (w: WeightFile) => (typeof w === 'string' ? w : (w as File).name);

// ---- models, loaded when first needed (or when their weights change) and kept --------------------------------

let sg: StyleGpu;
let gatys: { styler: GatysStyler; preset: string } | undefined;

input('adainVggUrl').value = params.get('adainVgg') ?? ADAIN_WEIGHT_URLS.vgg;
input('adainDecoderUrl').value = params.get('adainDecoder') ?? ADAIN_WEIGHT_URLS.decoder;
input('gatedganUrl').value = params.get('gatedgan') ?? '';
input('styleganUrl').value = params.get('stylegan') ?? '';
// Dropped on the AdaIN box, a file whose name says "decoder" is the decoder, any other the VGG.
dropZone($('adainWeights'), (file) => setFile(input(/decoder/i.test(file.name) ? 'adainDecoderFile' : 'adainVggFile'), file));
dropZone($('gatedganWeights'), (file) => setFile(input('gatedganFile'), file));
dropZone($('styleganWeights'), (file) => setFile(input('styleganFile'), file));

/**
 * A model kept for the weight files it was loaded from (each a file input, else its URL field): loaded when first
 * asked for, and loaded again (the old one released) once any of them changes. `onLoad` updates the controls
 * that depend on the model. `missing` is the error when a file is not given.
 */
function keptModel<T extends { release(): void }>(
  missing: string,
  sources: [fileId: string, urlId: string][],
  load: (from: WeightFile[], progress: Progress) => Promise<T>,
  onLoad?: (model: T, from: WeightFile[]) => void,
): () => Promise<T> {
  let kept: { model: T; from: WeightFile[] } | undefined;
  return async () => {
    const from = sources.map(([fileId, urlId]) => weightSource(fileId, urlId));
    if (from.some((w) => w === undefined)) throw new Error(missing);
    if (!kept || kept.from.some((w, i) => w !== from[i])) {
      kept?.model.release();
      kept = undefined;
      log(`loading ${from.map((w) => describeSource(w!)).join(', ')}`);
      const model = await withProgress((progress) => load(from as WeightFile[], progress));
      kept = { model, from: from as WeightFile[] };
      onLoad?.(model, kept.from);
    }
    return kept.model;
  };
}

const adainModel = keptModel(
  'AdaIN needs its VGG and decoder weights: give their URLs or drop the files',
  [['adainVggFile', 'adainVggUrl'], ['adainDecoderFile', 'adainDecoderUrl']],
  ([vgg, decoder], progress) => loadAdain(sg, { vgg, decoder, ...progress }),
);

/** Loading a Gated GAN checkpoint builds a slider per style (and one for the identity branch). */
const gatedganModel = keptModel(
  'Gated GAN needs a generator checkpoint: drop or pick one, or give its URL',
  [['gatedganFile', 'gatedganUrl']],
  ([from], progress) => loadGatedGan(sg, from, progress),
  (styler, [from]) => {
    const sliders = $('styleSliders');
    sliders.replaceChildren();
    for (let i = 0; i <= styler.styles; i++) {
      const label = document.createElement('label');
      const slider = Object.assign(document.createElement('input'), { type: 'range', min: '0', max: '1', step: '0.05', value: i === 0 ? '1' : '0', className: 'styleWeight' });
      const value = document.createElement('output');
      value.textContent = slider.value;
      slider.oninput = () => (value.textContent = slider.value);
      label.append(i < styler.styles ? `style ${i} ` : 'identity ', slider, ' ', value);
      sliders.append(label);
    }
    log(`gatedgan: loaded ${describeSource(from)}, ${styler.styles} styles`);
  },
);

/** Loading a StyleGAN checkpoint lists the sizes it can make. */
const styleganModel = keptModel(
  'StyleGAN needs a generator checkpoint: drop or pick one, or give its URL',
  [['styleganFile', 'styleganUrl']],
  ([from], progress) => loadStyleGan(sg, from, progress),
  (sampler, [from]) => {
    const sizes = $<HTMLSelectElement>('styleganSize');
    sizes.replaceChildren(...sampler.sizes.map((s) => new Option(`${s} px`, String(s))));
    sizes.value = String(sampler.sizes[sampler.sizes.length - 1]);
    $('styleganInfo').textContent = `${sampler.model.description}: ${sampler.sizes.length} blocks, ${sampler.sizes.join(', ')} px`;
    log(`stylegan: loaded ${describeSource(from)}, ${sampler.sizes.length} blocks`);
  },
);

/** Loads a checkpoint as soon as it is picked or its URL changes (so that its controls appear). */
function loadOnChange(ids: string[], load: () => Promise<unknown>): void {
  for (const id of ids) {
    input(id).addEventListener('change', () => {
      load().catch((e) => log(`error: ${e instanceof Error ? e.message : String(e)}`));
    });
  }
}
loadOnChange(['gatedganFile', 'gatedganUrl'], gatedganModel);
loadOnChange(['styleganFile', 'styleganUrl'], styleganModel);

// ---- running -----------------------------------------------------------------------------------------------

const output = $<HTMLCanvasElement>('output');
$<HTMLButtonElement>('download').onclick = () => {
  output.toBlob((blob) => {
    if (!blob) return;
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: `stylegpu-${method()}.png` });
    a.click();
    URL.revokeObjectURL(a.href);
  }, 'image/png');
};

let abort: AbortController | undefined;
const number = (id: string) => Number(input(id).value);

async function run(): Promise<void> {
  const size = number('size');
  abort = new AbortController();
  const signal = abort.signal;
  $<HTMLButtonElement>('stop').disabled = false;
  const m = method();
  let t0 = performance.now();
  const done = (name: string): void => void log(`${name}: ${(performance.now() - t0).toFixed(0)} ms`);
  switch (m) {
    case 'fast': {
      const name = $<HTMLSelectElement>('network').value;
      const net = await withProgress((progress) => sg.network(name, { baseUrl: mirror, ...progress, signal }));
      try {
        await net.stylize(contentImg, { longestSide: size, canvas: output, signal, onProgress: (k, total) => log(`${name}: layer ${k}/${total}`) });
      } finally {
        net.release();
      }
      return done(name);
    }
    case 'adain': {
      const model = await adainModel();
      t0 = performance.now();
      const w = number('style2Weight');
      const styles = input('interpolate').checked ? [styleImg, style2Img] : [styleImg];
      await model.run(contentImg, styles, {
        longestSide: size,
        styleLongestSide: size,
        alpha: number('alpha'),
        weights: styles.length === 2 ? [1 - w, w] : undefined,
        preserveColor: input('preserveColor').checked,
        canvas: output,
        signal,
      });
      return done('adain');
    }
    case 'gatedgan': {
      const model = await gatedganModel();
      t0 = performance.now();
      const styleWeights = Array.from(document.querySelectorAll<HTMLInputElement>('#styleSliders input.styleWeight')).map((s) => Number(s.value));
      await model.run(contentImg, styleWeights, { longestSide: size, canvas: output, signal });
      return done('gatedgan');
    }
    case 'stylegan': {
      const model = await styleganModel();
      t0 = performance.now();
      const range = $<HTMLSelectElement>('mixRange').value;
      await model.generate({
        seed: number('seed'),
        size: Number($<HTMLSelectElement>('styleganSize').value),
        psi: input('truncate').checked ? number('psi') : undefined,
        noise: $<HTMLSelectElement>('noise').value as 'seed' | 'none',
        mix: input('mix').checked ? { seed: number('mixSeed'), range: range === 'custom' ? [number('mixFrom'), number('mixTo')] : (range as 'coarse') } : undefined,
        canvas: output,
        signal,
      });
      return done('stylegan');
    }
    case 'gatys': {
      const preset = $<HTMLSelectElement>('layers').value;
      const layers = LAYER_PRESETS[preset];
      if (gatys?.preset !== preset) {
        gatys?.styler.release();
        gatys = undefined;
        // VGG19's relu names (reluB_I, one digit each) sort in network order: the last is the deepest.
        const deepestLayer = [...layers.contentLayers, ...layers.styleLayers].sort().at(-1);
        gatys = { styler: await withProgress((progress) => loadGatys(sg, { baseUrl: mirror, ...progress, deepestLayer })), preset };
      }
      t0 = performance.now();
      const iterations = number('iterations');
      const r = await gatys.styler.run(contentImg, styleImg, {
        imageSize: size,
        iterations,
        contentWeight: number('contentWeight'),
        styleWeight: number('styleWeight'),
        contentLayers: layers.contentLayers,
        styleLayers: layers.styleLayers,
        originalColors: input('originalColors').checked,
        signal,
        canvas: output,
        previewEvery: 10,
        onIteration: ({ iteration, loss }) =>
          log(`iteration ${iteration}/${iterations}  loss ${loss.toExponential(3)}  ${(iteration / ((performance.now() - t0) / 1000)).toFixed(2)} it/s`),
      });
      log(`${r.aborted ? 'stopped' : 'done'}: ${r.iterations} iterations in ${((performance.now() - t0) / 1000).toFixed(1)} s, loss ${r.initialLoss.toExponential(3)} → ${r.finalLoss.toExponential(3)}`);
    }
  }
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
