// Crafted files for limit and fuzz tests: PNGs of any declared size (a 30000x30000 one is ~110 KB), mutations of bytes.
import { crc32, createDeflate } from 'node:zlib';

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** One PNG chunk: length, type, data, CRC of type and data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An IHDR chunk's data: 1-bit gray by default (colour type 0). */
export function ihdr(width: number, height: number, bitDepth = 1, colourType = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width >>> 0, 0);
  data.writeUInt32BE(height >>> 0, 4);
  data[8] = bitDepth;
  data[9] = colourType;
  return data;
}

/**
 * A valid, all-black 1-bit gray PNG of `width` x `height`: its rows are deflated as they are made,
 * so a pixel bomb of 30000 x 30000 (900 million pixels) costs ~110 KB and never a whole raw buffer.
 */
export async function blackPng(width: number, height: number): Promise<Buffer> {
  const row = Buffer.alloc(1 + Math.ceil(width / 8));
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  deflate.end();
  await done;
  return Buffer.concat([SIGNATURE, pngChunk('IHDR', ihdr(width, height)), pngChunk('IDAT', Buffer.concat(parts)), pngChunk('IEND', new Uint8Array())]);
}

/** A copy of `png` whose IHDR declares another size (its CRC fixed, so decoders believe it). */
export function withDeclaredSize(png: Uint8Array, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // IHDR is the first chunk: length at 8, type at 12, data at 16, CRC at 29.
  out.writeUInt32BE(width >>> 0, 16);
  out.writeUInt32BE(height >>> 0, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}
