// The stylegpu engine inside a dedicated module Worker (started by worker.ts): the page API's own objects
// (StyleGpu, StyleNetwork, GatysStyler) answering worker.ts's calls (workerProtocol.ts), so the page's main
// thread does no GPU encoding, no decoding and no read-back work.
import { GatysStyler, loadGatys } from './gatys.ts';
import { StyleGpu, StyleNetwork } from './index.ts';
import { type CallName, type FromWorker, type ToWorker, type WorkerCalls, type WorkerEvent, sendError } from './workerProtocol.ts';

type Handler<K extends CallName> = (args: WorkerCalls[K]['args'], ctx: CallContext) => Promise<WorkerCalls[K]['result']>;

interface CallContext {
  signal: AbortSignal;
  emit(event: WorkerEvent, transfer?: Transferable[]): void;
}

// The Worker's global scope (the project's types are the DOM's, not WebWorker's).
const scope = self as unknown as { postMessage(message: unknown, transfer: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
let sg: StyleGpu | undefined;
const held = new Map<number, StyleNetwork | GatysStyler>();
let nextHandle = 1;
const running = new Map<number, AbortController>();
/** Preview canvases the page transferred, by the id it gave them. */
const previewCanvases = new Map<number, OffscreenCanvas>();

function engine(): StyleGpu {
  if (!sg) throw new Error('stylegpu Worker: not started (init first)');
  return sg;
}

function hold(o: StyleNetwork | GatysStyler): { handle: number } {
  const handle = nextHandle++;
  held.set(handle, o);
  return { handle };
}

function holding<T>(handle: number, kind: new (...a: never[]) => T): T {
  const o = held.get(handle);
  if (!(o instanceof kind)) throw new Error(`stylegpu Worker: no ${kind.name} #${handle} (released?)`);
  return o;
}

const handlers: { [K in CallName]: Handler<K> } = {
  async init(args) {
    sg ??= await StyleGpu.create(args);
    return { description: sg.describe() };
  },
  async network({ nameOrUrl, weights }, { signal, emit }) {
    return hold(await engine().network(nameOrUrl, { ...weights, signal, onProgress: (progress) => emit({ type: 'download', progress }) }));
  },
  async stylize({ handle, image, longestSide }, { signal, emit }) {
    const net = holding(handle, StyleNetwork);
    return { image: await net.stylize(image, { longestSide, signal, onProgress: (done, total) => emit({ type: 'layers', done, total }) }) };
  },
  async loadGatys({ weights, deepestLayer }, { signal, emit }) {
    return hold(await loadGatys(engine(), { ...weights, deepestLayer, signal, onProgress: (progress) => emit({ type: 'download', progress }) }));
  },
  async gatys({ handle, content, styles, options, previewEvery, preview }, { signal, emit }) {
    const styler = holding(handle, GatysStyler);
    if (preview?.canvas) previewCanvases.set(preview.id, preview.canvas);
    return styler.run(content, styles, {
      ...options,
      signal,
      preview: preview && previewCanvases.get(preview.id),
      previewEvery,
      onIteration: ({ iteration, loss }) => emit({ type: 'iteration', iteration, loss }),
      onFrame: previewEvery > 0 ? (image, iteration) => emit({ type: 'frame', image, iteration }, [image.data.buffer]) : undefined,
    });
  },
  async release({ handle }) {
    held.get(handle)?.release();
    held.delete(handle);
    return {};
  },
  async destroy() {
    for (const o of held.values()) o.release();
    held.clear();
    await sg?.destroy();
    sg = undefined;
    return {};
  },
};

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** The transferable buffers of a result (its ImageData's pixels), so that they move instead of being copied. */
function transfers(value: unknown): Transferable[] {
  const image = (value as { image?: unknown })?.image;
  return image instanceof ImageData ? [image.data.buffer] : [];
}

scope.onmessage = async ({ data }: MessageEvent<ToWorker>) => {
  if (data.kind === 'abort') {
    running.get(data.id)?.abort(new DOMException('the page aborted the call', 'AbortError'));
    return;
  }
  const { id, call, args } = data;
  const controller = new AbortController();
  running.set(id, controller);
  try {
    const handler = handlers[call] as Handler<CallName>;
    if (!handler) throw new Error(`stylegpu Worker: no call '${call}'`);
    const value = await handler(args as never, { signal: controller.signal, emit: (event, transfer) => post({ kind: 'event', id, event }, transfer) });
    post({ kind: 'result', id, value }, transfers(value));
  } catch (e) {
    post({ kind: 'error', id, error: sendError(e) });
  } finally {
    running.delete(id);
  }
};
