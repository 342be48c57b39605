// Writing descriptors: the i32 blocks the SIMD routines read, filled by field name from the tables of layout.ts (generated from src/wasm/layout.json).
import type { ArenaAllocator } from './memory.js';

/** A descriptor table of layout.ts: each field's word index and type (addr: byte address, f32: float bits, i32: integer). */
export interface Layout {
  readonly name: string;
  readonly words: number;
  readonly fields: { readonly [field: string]: { readonly index: number; readonly type: 'addr' | 'i32' | 'f32' } };
}

/** Values for some fields of a descriptor of layout L: a field name L lacks does not compile. */
export type Fields<L extends Layout> = { readonly [K in keyof L['fields']]?: number };

/**
 * A descriptor of layout L being written: fields are set by name (every field starts at 0). f32 fields
 * take a number and hold its float32 bits; the others take int32 values, addresses 4-byte aligned ones
 * below 4 GiB (held as their 32 bits):
 * a wrong value throws here, at plan time, instead of corrupting the shared memory at run time.
 */
export class Descriptor<L extends Layout> {
  readonly words: Int32Array;

  constructor(readonly layout: L) {
    this.words = new Int32Array(layout.words);
  }

  set(values: Fields<L>): this {
    for (const [name, value] of Object.entries(values) as [string, number | undefined][]) {
      if (value === undefined) continue;
      const { index, type } = this.layout.fields[name];
      if (type === 'f32') {
        this.words[index] = f32bits(value);
        continue;
      }
      const fits = type === 'addr' ? value >= 0 && value <= 0xffffffff && value % 4 === 0 : value >= -0x80000000 && value <= 0x7fffffff;
      if (!Number.isInteger(value) || !fits) {
        throw new RangeError(`${this.layout.name} descriptor: ${name} = ${value} is not ${type === 'addr' ? 'a 4-byte aligned address' : 'an int32'}`);
      }
      // An address of 2 GiB or more keeps its bits: the routines read addresses as unsigned.
      this.words[index] = value | 0;
    }
    return this;
  }

  /** Writes the words into the arena (plan-time data, never moved); returns their address. */
  put(arena: ArenaAllocator): number {
    return arena.putI32(this.words);
  }
}

/** A new descriptor of layout L, all fields 0. */
export function descriptor<L extends Layout>(layout: L): Descriptor<L> {
  return new Descriptor(layout);
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/** The float32 bits of x as an int32 (how f32 fields are stored). */
export function f32bits(x: number): number {
  F32[0] = x;
  return I32[0];
}
