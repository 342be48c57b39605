// A minimal protocol-buffers writer (varints, length-delimited fields, fixed32 floats): just what ONNX export needs.

/** Wire types of the protobuf encoding. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

const TEXT = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The varint bytes of an unsigned or negative integer. Negative int64 values take ten bytes
 * (two's complement, as protobuf's int64 requires), so they go through BigInt.
 */
export function encodeVarint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** Fast path for the common small non-negative case; falls back to BigInt otherwise. */
function varintBytes(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint needs an integer, got ${value}`);
  if (value < 0 || value > 0xffffffff) return encodeVarint(value);
  const out: number[] = [];
  let v = value >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** The little-endian bytes of a float32 array, without copying when the platform is little-endian. */
export function float32Bytes(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

/**
 * Builds one message as a list of byte chunks. Nested messages are appended by reference
 * (their chunks, not a copy), so a model's weights are copied once, in `finish()`.
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.size;
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private tag(field: number, wire: number): void {
    this.push(varintBytes(field * 8 + wire));
  }

  /** An int32/int64/enum/bool field. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE.varint);
    this.push(typeof value === 'bigint' ? encodeVarint(value) : varintBytes(value));
    return this;
  }

  /** A float field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE.fixed32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE.bytes);
    this.push(varintBytes(value.length));
    this.push(value);
    return this;
  }

  /** A string field, UTF-8. */
  string(field: number, value: string): this {
    return this.bytes(field, TEXT.encode(value));
  }

  /** An embedded message field. */
  message(field: number, child: ProtoWriter): this {
    this.tag(field, WIRE.bytes);
    this.push(varintBytes(child.size));
    for (const chunk of child.chunks) this.push(chunk);
    return this;
  }

  /** A packed repeated varint field (repeated int64 in proto3 form). */
  packedVarints(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.push(varintBytes(v));
    this.tag(field, WIRE.bytes);
    this.push(varintBytes(inner.size));
    for (const chunk of inner.chunks) this.push(chunk);
    return this;
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: Float32Array): this {
    return this.bytes(field, float32Bytes(values));
  }

  /** The message's bytes, in one buffer. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
