// Recognising files by their first bytes (src/io/file-format.ts), and the messages for a file given where another kind belongs.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { CnnxError, EXIT } from '../../src/errors.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { sniffFormat, wrongFormatError, type FileFormat } from '../../src/io/file-format.js';
import { readInput } from '../../src/io/image.js';
import { encodeNpy, parseNpy, readNpyFile } from '../../src/io/npy.js';
import { encodeSafetensors, parseSafetensors } from '../../src/io/safetensors.js';
import { loadNetwork } from '../../src/network/load.js';
import { errorOf, FIXTURES, ROOT, tempDir } from '../helpers.js';

const FORMATS = path.join(FIXTURES, 'formats');
const bytesOf = (name: string) => new Uint8Array(readFileSync(path.join(FORMATS, name)));
const INPUT = { channels: 3, mean: null, std: null, resize: null };

async function image(format: 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif' | 'avif'): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).toFormat(format).toBuffer());
}

describe('sniffFormat', () => {
  test('checkpoints, archives, models and arrays (made by PyTorch and NumPy: fixtures/formats/generate.py)', async () => {
    const cases: [Uint8Array, FileFormat][] = [
      [bytesOf('conv.pth'), 'pytorch'],
      [bytesOf('conv-legacy.pth'), 'pickle'],
      [bytesOf('arrays.npz'), 'npz'],
      [bytesOf('conv.onnx'), 'onnx'],
      [exportOnnx(await loadNetwork(path.join(ROOT, 'examples', 'seed-convnet.json'))), 'onnx'],
      [encodeNpy([2, 2], new Float32Array(4)), 'npy'],
      [encodeSafetensors([{ name: 'w', shape: [1], data: new Float32Array(1) }]), 'safetensors'],
      [readFileSync(path.join(ROOT, 'examples', 'edges.json')), 'json'],
      [new TextEncoder().encode('\uFEFF  \n{"input": {}}'), 'json'],
      [new TextEncoder().encode('<?xml version="1.0"?><svg/>'), 'svg'],
      [Uint8Array.of(0x50, 0x4b, 0x05, 0x06, ...new Uint8Array(18)), 'zip'],
      [new TextEncoder().encode('hello, not a known format'), 'unknown'],
      [new Uint8Array(), 'unknown'],
    ];
    for (const [bytes, format] of cases) expect(sniffFormat(bytes), format).toBe(format);
  });

  test('a safetensors file whose header length starts with the bytes of a pickle PROTO (0x80, 2..5)', () => {
    // Header lengths 640, 896, 1152 and 1408 begin 80 02 / 80 03 / 80 04 / 80 05: these were taken for pickles
    // and refused ("is a Python pickle"); a file cnnx itself wrote (apply --format safetensors) could be one.
    for (let nameLength = 1; nameLength < 1500; nameLength++) {
      const file = encodeSafetensors([{ name: 'w'.repeat(nameLength), shape: [1], data: new Float32Array(1) }]);
      expect(sniffFormat(file), `name of ${nameLength} characters`).toBe('safetensors');
      expect(parseSafetensors(file, 'w.safetensors').tensorNames()).toEqual(['w'.repeat(nameLength)]);
    }
  });

  test('images, as sharp writes them', async () => {
    for (const format of ['png', 'jpeg', 'webp', 'tiff', 'gif'] as const) expect(sniffFormat(await image(format))).toBe(format);
    expect(sniffFormat(await image('avif'))).toBe('heif');
    expect(sniffFormat(readFileSync(path.join(FIXTURES, 'images', 'truncated.jpg')))).toBe('jpeg');
  });
});

describe('a file where another kind belongs', () => {
  test('a PyTorch checkpoint where a .npy or safetensors file belongs', async () => {
    const pth = bytesOf('conv.pth');
    for (const [error, wanted] of [[await errorOf(() => parseNpy(pth, 'w.pth')), '.npy'], [await errorOf(() => parseSafetensors(pth, 'w.pth')), 'safetensors']] as const) {
      expect(error).toBeInstanceOf(CnnxError);
      expect(error).toMatchObject({ code: 'tensor.format', exitCode: EXIT.usage });
      expect((error as Error).message).toBe(`w.pth is a PyTorch checkpoint (zip), not ${wanted === '.npy' ? 'a .npy file' : 'a safetensors file'}; convert it with \`cnnx import w.pth --arch NAME -o net.json\``);
    }
    // Not "header length 578712552184433488 is over the limit", as before.
    const legacy = await errorOf(() => parseSafetensors(bytesOf('conv-legacy.pth'), 'old.pth'));
    expect((legacy as Error).message).toBe('old.pth is a Python pickle (a PyTorch checkpoint from before 1.6?), not a safetensors file; convert it with `cnnx import old.pth --arch NAME -o net.json`');
  });

  test('readNpyFile names the file by its path in the hint', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'model.onnx');
    await writeFile(file, bytesOf('conv.onnx'));
    const error = await errorOf(() => readNpyFile(file, 'model.onnx'));
    expect(error).toMatchObject({ code: 'tensor.format', exitCode: EXIT.usage });
    expect((error as Error).message).toBe(`model.onnx is an ONNX model, not a .npy file; convert it with \`cnnx import ${file} -o net.json\``);
  });

  test('arrays of the other kind, and archives', async () => {
    const st = encodeSafetensors([{ name: 'w', shape: [1], data: new Float32Array(1) }]);
    expect((await errorOf(() => parseNpy(st, 'w.safetensors')) as Error).message).toBe('w.safetensors is a safetensors file, not a .npy file; name it with {"safetensors": FILE, "tensor": NAME}');
    expect((await errorOf(() => parseSafetensors(encodeNpy([1], new Float32Array(1)), 'w.npy')) as Error).message).toBe('w.npy is a .npy array, not a safetensors file; name it with {"npy": FILE}');
    expect((await errorOf(() => parseNpy(bytesOf('arrays.npz'), 'a.npz')) as Error).message).toBe('a.npz is a NumPy .npz archive, not a .npy file; save each array as its own .npy file (numpy.save) and name it with {"npy": FILE}');
    // Unknown bytes keep the parser's own diagnosis.
    expect(await errorOf(() => parseNpy(new TextEncoder().encode('garbage!'), 'g.npy'))).toMatchObject({ code: 'npy.corrupt', message: 'g.npy: not a valid .npy file: bad magic (it does not start with \\x93NUMPY)' });
    expect(wrongFormatError(encodeNpy([1], new Float32Array(1)), 'x.npy', 'x.npy', 'npy')).toBeNull();
  });

  test('an image or a checkpoint as the spec', async () => {
    const dir = tempDir();
    const photo = path.join(dir, 'photo.jpg');
    await writeFile(photo, await image('jpeg'));
    const error = await errorOf(() => loadNetwork(photo));
    expect(error).toMatchObject({ code: 'spec.format', exitCode: EXIT.usage });
    expect((error as Error).message).toBe(`${photo} is a JPEG image, not a network spec (JSON)`);
    const onnx = path.join(dir, 'model.onnx');
    await writeFile(onnx, bytesOf('conv.onnx'));
    expect((await errorOf(() => loadNetwork(onnx)) as Error).message).toBe(`${onnx} is an ONNX model, not a network spec (JSON); convert it with \`cnnx import ${onnx} -o net.json\``);
    // A broken spec is still a JSON syntax error.
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"input": ');
    expect(await errorOf(() => loadNetwork(broken))).toMatchObject({ code: 'spec.syntax' });
  });

  test('a spec or a checkpoint as an input', async () => {
    const spec = readFileSync(path.join(ROOT, 'examples', 'edges.json'));
    const error = await errorOf(() => readInput(spec, 'edges.json', INPUT));
    expect(error).toMatchObject({ code: 'input.decode', exitCode: EXIT.inputFailed });
    expect((error as Error).message).toBe('edges.json is a JSON file (a network spec?), not an image or .npy input; a spec comes first, inputs after it');
    expect((await errorOf(() => readInput(bytesOf('conv.pth'), 'conv.pth', INPUT)) as Error).message).toBe('conv.pth is a PyTorch checkpoint (zip), not an image or .npy input; convert it with `cnnx import conv.pth --arch NAME -o net.json`');
    // A file of no known format keeps sharp's diagnosis.
    expect((await errorOf(() => readInput(new TextEncoder().encode('hello'), 'notes.txt', INPUT)) as Error).message).toBe('notes.txt: not an image cnnx can read (unsupported format)');
  });
});
