// Recognises a file by its first bytes, so a file given where a spec, weights or an input belong gets a message that says what it is and what to do.
import { CnnxError } from '../errors.js';

export type FileFormat =
  | 'pytorch'
  | 'pickle'
  | 'npz'
  | 'zip'
  | 'onnx'
  | 'hdf5'
  | 'png'
  | 'jpeg'
  | 'webp'
  | 'tiff'
  | 'gif'
  | 'heif'
  | 'bmp'
  | 'svg'
  | 'json'
  | 'npy'
  | 'safetensors'
  | 'unknown';

/** Bytes that decide every format below: the zip check reads the first entry's name. */
export const HEAD_BYTES = 512;

/** What a format is, as the messages say it: "conv.pth is a PyTorch checkpoint (zip)". */
export const FORMAT_NAMES: Readonly<Record<FileFormat, string>> = {
  pytorch: 'a PyTorch checkpoint (zip)',
  pickle: 'a Python pickle (a PyTorch checkpoint from before 1.6?)',
  npz: 'a NumPy .npz archive',
  zip: 'a zip archive',
  onnx: 'an ONNX model',
  hdf5: 'an HDF5 file (a Keras model?)',
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  webp: 'a WebP image',
  tiff: 'a TIFF image',
  gif: 'a GIF image',
  heif: 'an AVIF/HEIF image',
  bmp: 'a BMP image',
  svg: 'an SVG image',
  json: 'a JSON file (a network spec?)',
  npy: 'a .npy array',
  safetensors: 'a safetensors file',
  unknown: 'a file of unknown format',
};

const IMAGES: ReadonlySet<FileFormat> = new Set(['png', 'jpeg', 'webp', 'tiff', 'gif', 'heif', 'bmp', 'svg']);

/** An image format sharp may decode (BMP only with some builds; the decode error then says so). */
export function isImageFormat(format: FileFormat): boolean {
  return IMAGES.has(format);
}

const ascii = (bytes: Uint8Array, at: number, text: string): boolean => [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

/** A .npy file starts with \x93NUMPY. */
export function isNpy(head: Uint8Array): boolean {
  return ascii(head, 0, '\x93NUMPY');
}

/** Brands of the ISO media `ftyp` box that sharp reads as images (AVIF, HEIF). */
const HEIF_BRANDS = ['avif', 'avis', 'heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'];

/** The format of a file from its first bytes (HEAD_BYTES of them decide every case). */
export function sniffFormat(head: Uint8Array): FileFormat {
  const b = head;
  if (ascii(b, 0, 'PK\x03\x04') || ascii(b, 0, 'PK\x05\x06')) return zipKind(b);
  // Before the pickle check: a safetensors header of 640, 896, 1152 or 1408 bytes (+ k * 65536) also starts
  // with 0x80 and 2..5; a pickle's next opcodes do not make its first 8 bytes a length under 1e8 followed by '{'.
  if (isSafetensors(b)) return 'safetensors';
  // A pickle opens with PROTO and the protocol (2 to 5); torch.save before 1.6 wrote one.
  if (b[0] === 0x80 && b[1] >= 2 && b[1] <= 5) return 'pickle';
  if (isNpy(b)) return 'npy';
  if (ascii(b, 0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'webp';
  if (ascii(b, 0, 'II*\x00') || ascii(b, 0, 'MM\x00*')) return 'tiff';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'gif';
  if (ascii(b, 4, 'ftyp') && HEIF_BRANDS.some((brand) => ascii(b, 8, brand))) return 'heif';
  if (ascii(b, 0, '\x89HDF\r\n\x1a\n')) return 'hdf5';
  if (isOnnx(b)) return 'onnx';
  const text = new TextDecoder().decode(b.subarray(0, 64)).replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return 'json';
  if (/^<(\?xml|svg)/.test(text)) return 'svg';
  if (ascii(b, 0, 'BM')) return 'bmp';
  return 'unknown';
}

/** torch.save's archive holds `<name>/data.pkl` (first entry `<name>/data.pkl` or `<name>/byteorder`); numpy.savez's, `<key>.npy`. */
function zipKind(b: Uint8Array): FileFormat {
  const nameLength = b[26] | (b[27] << 8);
  const name = new TextDecoder().decode(b.subarray(30, 30 + nameLength));
  if (/(^|\/)(data\.pkl|byteorder|version)$/.test(name)) return 'pytorch';
  if (name.endsWith('.npy')) return 'npz';
  return 'zip';
}

/** 8 bytes of little-endian header length, then the JSON header. */
function isSafetensors(b: Uint8Array): boolean {
  if (b.length < 10 || b[8] !== '{'.charCodeAt(0)) return false;
  const length = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return length > 1n && length < 100_000_000n;
}

/** ModelProto: field 1 (ir_version, a small varint), then a length-delimited field (producer, graph, opset_import...). */
function isOnnx(b: Uint8Array): boolean {
  return b[0] === 0x08 && b[1] >= 1 && b[1] <= 20 && [0x12, 0x1a, 0x22, 0x2a, 0x32, 0x3a, 0x42, 0x72].includes(b[2]);
}

/** What was expected where the file was given. */
export type Expected = 'spec' | 'npy' | 'safetensors' | 'input';

const EXPECTED_NAMES: Readonly<Record<Expected, string>> = {
  spec: 'a network spec (JSON)',
  npy: 'a .npy file',
  safetensors: 'a safetensors file',
  input: 'an image or .npy input',
};

/** What to do with a file of `format` given as `file` where `expected` belongs, or '' when there is nothing to add. */
function advice(format: FileFormat, file: string, expected: Expected): string {
  if (format === 'pytorch' || format === 'pickle') return `convert it with \`cnnx import ${file} --arch NAME -o net.json\``;
  if (format === 'onnx') return `convert it with \`cnnx import ${file} -o net.json\``;
  if (format === 'npz') return 'save each array as its own .npy file (numpy.save) and name it with {"npy": FILE}';
  if (format === 'hdf5') return 'save its weights as .npy or safetensors files';
  if (expected === 'spec' && format === 'safetensors') return 'a spec names it in a layer: {"safetensors": FILE, "tensor": NAME}';
  if (expected === 'npy' && format === 'safetensors') return 'name it with {"safetensors": FILE, "tensor": NAME}';
  if (expected === 'safetensors' && format === 'npy') return 'name it with {"npy": FILE}';
  if (expected === 'input' && format === 'json') return 'a spec comes first, inputs after it';
  return '';
}

/**
 * The error for `bytes` of `file` (shown as `shown`) given where `expected` belongs, when they are
 * recognisably something else; null when they are of the expected format or unknown (the parser then says
 * what is wrong). Codes: spec.format, tensor.format, or input.decode for inputs.
 */
export function wrongFormatError(bytes: Uint8Array, file: string, shown: string, expected: Expected): CnnxError | null {
  const format = sniffFormat(bytes.subarray(0, HEAD_BYTES));
  const fits = expected === 'spec' ? format === 'json' : expected === 'input' ? isImageFormat(format) || format === 'npy' : format === expected;
  if (fits || format === 'unknown') return null;
  const todo = advice(format, file, expected);
  const message = `${shown} is ${FORMAT_NAMES[format]}, not ${EXPECTED_NAMES[expected]}${todo ? `; ${todo}` : ''}`;
  return new CnnxError(expected === 'spec' ? 'spec.format' : expected === 'input' ? 'input.decode' : 'tensor.format', message);
}
