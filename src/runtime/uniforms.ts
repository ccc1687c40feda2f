// A uniform block declared once: the same schema yields the WGSL struct text and the packed bytes,
// so TypeScript and WGSL can never disagree about field order or offsets.
//
// Only 4-byte scalars (u32, i32, f32) are allowed: each field sits at offset 4·index, and the struct is
// padded to 16 bytes as WGSL's uniform address space requires. Shapes and hyper-parameters travel here,
// never in shader text or pipeline cache keys.

export type UniformType = 'u32' | 'i32' | 'f32';
export type UniformFields = Record<string, UniformType>;
export type UniformValues<F extends UniformFields> = { [K in keyof F]: number };

export interface UniformStruct<F extends UniformFields = UniformFields> {
  readonly name: string;
  readonly fields: F;
  /** Bytes of one packed instance (a multiple of 16). */
  readonly sizeBytes: number;
  /** `struct Name { a: u32, b: f32, }` */
  readonly wgsl: string;
  /** Pack values into `target` (or a new buffer) at `byteOffset`; every field must be given. */
  pack(values: UniformValues<F>, target?: ArrayBuffer, byteOffset?: number): ArrayBuffer;
}

export function uniformStruct<F extends UniformFields>(name: string, fields: F): UniformStruct<F> {
  const names = Object.keys(fields);
  if (names.length === 0) throw new Error(`uniform struct ${name}: no fields`);
  const sizeBytes = Math.ceil((names.length * 4) / 16) * 16;
  const wgsl = `struct ${name} {\n${names.map((n) => `  ${n}: ${fields[n]},`).join('\n')}\n}\n`;
  return {
    name,
    fields,
    sizeBytes,
    wgsl,
    pack(values, target = new ArrayBuffer(sizeBytes), byteOffset = 0) {
      const view = new DataView(target, byteOffset, sizeBytes);
      names.forEach((n, i) => {
        const v = values[n];
        if (typeof v !== 'number' || Number.isNaN(v) && fields[n] !== 'f32') {
          throw new Error(`uniform ${name}.${n}: expected a number, got ${String(v)}`);
        }
        switch (fields[n]) {
          case 'u32':
            if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniform ${name}.${n}: ${v} is not a u32`);
            view.setUint32(i * 4, v, true);
            break;
          case 'i32':
            if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new Error(`uniform ${name}.${n}: ${v} is not an i32`);
            view.setInt32(i * 4, v, true);
            break;
          case 'f32':
            view.setFloat32(i * 4, v, true);
            break;
        }
      });
      return target;
    },
  };
}
