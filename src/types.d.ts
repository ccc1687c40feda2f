declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  export function wgsl(strings: TemplateStringsArray, ...values: unknown[]): string;
}
declare module 'upng-js' {
  interface Image { width: number; height: number; depth: number; ctype: number; frames: unknown[]; tabs: Record<string, unknown>; data: ArrayBuffer }
  export function decode(buf: ArrayBuffer | Uint8Array): Image;
  export function toRGBA8(img: Image): ArrayBuffer[];
  export function encode(frames: ArrayBuffer[], w: number, h: number, cnum: number, dels?: number[], forbidPlte?: boolean): ArrayBuffer;
  const UPNG: { decode: typeof decode; toRGBA8: typeof toRGBA8; encode: typeof encode };
  export default UPNG;
}
