// A minimal protocol-buffers reader (the mirror of src/export/protobuf.ts): fields of one message, bytes as views, no copies.
import { WIRE } from '../export/protobuf.js';

/** One field occurrence: a varint/fixed value, or the bytes of a length-delimited field (a view into the input). */
export interface Field {
  readonly wire: number;
  /** Varint as a number (int64 two's complement, exact up to 2^53), or the raw bits of a fixed32/fixed64. */
  readonly int: number;
  readonly bytes: Uint8Array;
}

/** Thrown for malformed input; the caller adds the file name. */
export class ProtoError extends Error {}

const EMPTY = new Uint8Array(0);
const UTF8 = new TextDecoder('utf-8');

/**
 * The fields of one message, by field number, in file order. Length-delimited values stay views into
 * `bytes`, so a model's weights are never copied by decoding; nested messages are decoded on demand.
 */
export class ProtoMessage {
  private readonly fields = new Map<number, Field[]>();

  constructor(readonly bytes: Uint8Array) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const pos = { at: 0 };
    while (pos.at < bytes.length) {
      const key = readVarint(bytes, pos);
      const number = Math.floor(key / 8);
      const wire = key % 8;
      if (number < 1) throw new ProtoError(`field number ${number} at byte ${pos.at}`);
      let field: Field;
      if (wire === WIRE.varint) {
        field = { wire, int: readVarint(bytes, pos), bytes: EMPTY };
      } else if (wire === WIRE.bytes) {
        const length = readVarint(bytes, pos);
        if (length < 0 || pos.at + length > bytes.length) throw new ProtoError(`a field of ${length} bytes runs past the end of the data`);
        field = { wire, int: 0, bytes: bytes.subarray(pos.at, pos.at + length) };
        pos.at += length;
      } else if (wire === WIRE.fixed32 || wire === WIRE.fixed64) {
        const size = wire === WIRE.fixed32 ? 4 : 8;
        if (pos.at + size > bytes.length) throw new ProtoError('a fixed-size field runs past the end of the data');
        field = { wire, int: wire === WIRE.fixed32 ? view.getUint32(pos.at, true) : 0, bytes: bytes.subarray(pos.at, pos.at + size) };
        pos.at += size;
      } else {
        throw new ProtoError(`unknown wire type ${wire} at byte ${pos.at}`);
      }
      let list = this.fields.get(number);
      if (!list) this.fields.set(number, (list = []));
      list.push(field);
    }
  }

  all(field: number): readonly Field[] {
    return this.fields.get(field) ?? [];
  }

  /** The last occurrence (protobuf's rule for a repeated scalar), or undefined. */
  last(field: number): Field | undefined {
    const list = this.fields.get(field);
    return list?.[list.length - 1];
  }

  int(field: number, fallback = 0): number {
    return this.last(field)?.int ?? fallback;
  }

  string(field: number, fallback = ''): string {
    const f = this.last(field);
    return f ? UTF8.decode(f.bytes) : fallback;
  }

  strings(field: number): string[] {
    return this.all(field).map((f) => UTF8.decode(f.bytes));
  }

  message(field: number): ProtoMessage | undefined {
    const f = this.last(field);
    return f ? new ProtoMessage(f.bytes) : undefined;
  }

  messages(field: number): ProtoMessage[] {
    return this.all(field).map((f) => new ProtoMessage(f.bytes));
  }

  /** A repeated integer field, packed (wire 2) or not. */
  ints(field: number): number[] {
    const out: number[] = [];
    for (const f of this.all(field)) {
      if (f.wire !== WIRE.bytes) {
        out.push(f.int);
        continue;
      }
      const pos = { at: 0 };
      while (pos.at < f.bytes.length) out.push(readVarint(f.bytes, pos));
    }
    return out;
  }

  /** A float field's value (fixed32). */
  float(field: number, fallback: number): number {
    const f = this.last(field);
    return f && f.wire === WIRE.fixed32 ? new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true) : fallback;
  }

  /** A repeated fixed-size field (float: 4 bytes, double: 8), packed or not, as the concatenated little-endian bytes. */
  fixedBytes(field: number): Uint8Array {
    const parts = this.all(field).map((f) => f.bytes);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}

/**
 * One varint as a number. Ten-byte varints are negative int64 values (two's complement), decoded
 * exactly through BigInt; values past 2^53 lose precision, which no dimension, attribute or offset
 * cnnx uses can reach.
 */
export function readVarint(bytes: Uint8Array, pos: { at: number }): number {
  const start = pos.at;
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    const b = bytes[pos.at++];
    if (b === undefined) throw truncated();
    result += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return result;
  }
  // Past 49 bits: finish in BigInt.
  pos.at = start;
  let big = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    const b = bytes[pos.at++];
    if (b === undefined) throw truncated();
    big |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, big));
  }
  throw new ProtoError('a varint longer than 10 bytes');
}

function truncated(): ProtoError {
  return new ProtoError('the data ends inside a varint (truncated file?)');
}
