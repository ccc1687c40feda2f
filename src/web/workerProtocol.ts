// The messages between a page and its stylegpu Worker (worker.ts on the page, workerScript.ts in the Worker),
// and the typed errors carried across: postMessage clones an Error as a plain one, so each of the page API's
// error classes travels as its name and fields and is built again on the other side.
import type { AdapterProfile } from '../runtime/device.ts';
import type { DownloadProgress } from '../weights/source.ts';
import { AdapterLimitError, ImageDecodeError, NoWebGpuError, WeightsError } from './errors.ts';

/** What a page may pass to a Worker as an image (cloned or transferred). */
export type WorkerImage = ImageBitmap | ImageData | Blob;

export interface WorkerWeightOptions {
  baseUrl?: string;
  cache?: string | false;
}

/** The calls the Worker answers; `handle` names an object the Worker holds (a network, a Gatys styler). */
export interface WorkerCalls {
  init: { args: { powerPreference?: GPUPowerPreference; profile?: AdapterProfile }; result: { description: string } };
  network: { args: { nameOrUrl: string; weights: WorkerWeightOptions }; result: { handle: number } };
  stylize: { args: { handle: number; image: WorkerImage; longestSide?: number }; result: { image: ImageData } };
  loadGatys: { args: { weights: WorkerWeightOptions; deepestLayer?: string }; result: { handle: number } };
  gatys: {
    args: { handle: number; content: WorkerImage; styles: WorkerImage[]; options: Record<string, unknown>; previewEvery: number; preview?: PreviewTarget };
    result: { image: ImageData; iterations: number; initialLoss: number; finalLoss: number; aborted: boolean };
  };
  release: { args: { handle: number }; result: Record<string, never> };
  destroy: { args: Record<string, never>; result: Record<string, never> };
}
export type CallName = keyof WorkerCalls;

/** A page canvas for the GPU preview: its OffscreenCanvas travels (transferred) with the first run only. */
export interface PreviewTarget {
  id: number;
  canvas?: OffscreenCanvas;
}

/** Page → Worker. */
export type ToWorker = { kind: 'call'; id: number; call: CallName; args: unknown } | { kind: 'abort'; id: number };

/** Progress of a call, as the page's callbacks take it. */
export type WorkerEvent =
  | { type: 'download'; progress: DownloadProgress }
  | { type: 'layers'; done: number; total: number }
  | { type: 'iteration'; iteration: number; loss: number }
  | { type: 'frame'; image: ImageData; iteration: number };

/** Worker → page. */
export type FromWorker =
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: SentError }
  | { kind: 'event'; id: number; event: WorkerEvent };

export interface SentError {
  name: string;
  message: string;
  stack?: string;
  /** The class's own fields (AdapterLimitError's sizes, WeightsError's reason and location). */
  fields?: Record<string, unknown>;
}

/** An error as it crosses to the other side. */
export function sendError(e: unknown): SentError {
  if (!(e instanceof Error || e instanceof DOMException)) return { name: 'Error', message: String(e) };
  const sent: SentError = { name: e.name, message: e.message, stack: e.stack };
  if (e instanceof AdapterLimitError) sent.fields = { requestedSide: e.requestedSide, largestSide: e.largestSide, limitBytes: e.limitBytes, neededBytes: e.neededBytes };
  if (e instanceof WeightsError) sent.fields = { reason: e.reason, location: e.location };
  return sent;
}

/** The error `sendError` sent, of its class again where it is one of the page API's (or an AbortError). */
export function receiveError(sent: SentError): Error {
  const f = sent.fields ?? {};
  let e: Error;
  switch (sent.name) {
    case 'NoWebGpuError':
      e = new NoWebGpuError(sent.message);
      break;
    case 'ImageDecodeError':
      e = new ImageDecodeError(sent.message);
      break;
    case 'AdapterLimitError':
      e = new AdapterLimitError(f.requestedSide as number, f.largestSide as number, f.limitBytes as number, f.neededBytes as number);
      break;
    case 'WeightsError': {
      const location = f.location as string;
      // WeightsError's message is "<location>: <what>".
      e = new WeightsError(f.reason as WeightsError['reason'], location, sent.message.slice(location.length + 2));
      break;
    }
    case 'AbortError':
      e = new DOMException(sent.message, 'AbortError');
      break;
    default:
      e = new Error(sent.message);
      e.name = sent.name;
  }
  // The Worker's stack says where it happened; the page's own frames follow when it is thrown again.
  if (sent.stack && !(e instanceof DOMException)) e.stack = `${sent.stack}\n    (in the stylegpu Worker)`;
  return e;
}
