// The errors a page can tell apart with instanceof: each names the problem and what would fix it.

/** The page has no WebGPU: no navigator.gpu, or no adapter behind it. */
export class NoWebGpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoWebGpuError';
  }
}

/** The requested image size needs a buffer larger than the adapter allows; `largestSide` is the longest side
 *  (same aspect ratio) whose every tensor fits. */
export class AdapterLimitError extends Error {
  constructor(
    readonly requestedSide: number,
    readonly largestSide: number,
    readonly limitBytes: number,
    readonly neededBytes: number,
  ) {
    super(
      `an image with longest side ${requestedSide} px needs a ${neededBytes}-byte buffer, more than this adapter allows ` +
        `(${limitBytes} bytes): the largest longest side that fits is ${largestSide} px`,
    );
    this.name = 'AdapterLimitError';
  }
}

/** Weights that could not be had: 'not-found' (HTTP 404 or a missing file), 'corrupt' (wrong size, digest or
 *  shapes), 'download' (network or HTTP error). */
export class WeightsError extends Error {
  constructor(
    readonly reason: 'not-found' | 'corrupt' | 'download',
    readonly location: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${location}: ${message}`, options);
    this.name = 'WeightsError';
  }
}

/** An input image the browser could not decode (broken file, unsupported format, an image element that failed). */
export class ImageDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDecodeError';
  }
}
