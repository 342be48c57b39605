// The native contender of `npm run bench:batch -- --against ort-node`: a plain sequential loop over a folder of photos.
// Each photo: sharp decodes it (EXIF-rotated, sRGB, 8-bit), the pixels are normalised as cnnx does ((x / 255 - mean) / std,
// planar float32), onnxruntime-node runs the network (exported by cnnx's exportOnnx, one model per image size), and the
// output is written as a .npy file mirroring the input tree. Run as a child: prints one JSON line { seconds, images, maxRssMB }.
//
//   node folder-loop.mjs <spec.json> <photos dir> <out dir> [--threads N]
import { mkdir, open, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DIST, importDist } from './contenders.mjs';

const require = createRequire(import.meta.url);

async function listPhotos(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.(png|jpe?g|webp)$/i.test(e.name)) out.push(path.join(e.parentPath ?? e.path, e.name));
  }
  return out.sort();
}

/** Interleaved 8-bit RGB -> planar float32, (x / 255 - mean) / std with cnnx's float32 roundings (src/io/image.ts pixelsToInput). */
function normalise(pixels, width, height, mean, std) {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]);
    const s = Math.fround(std[c]);
    for (let p = 0, b = c; p < plane; p++, b += 3) out[c * plane + p] = Math.fround(Math.fround(pixels[b] * (1 / 255)) - m) / s;
  }
  return out;
}

async function main() {
  const [specFile, photos, outDir] = process.argv.slice(2);
  const threadsAt = process.argv.indexOf('--threads');
  const threads = threadsAt > 0 ? Number(process.argv[threadsAt + 1]) : undefined;
  const sharp = require(require.resolve('sharp', { paths: [path.join(DIST, '..')] }));
  const ort = require('onnxruntime-node');
  const { loadNetwork } = await importDist('network/load.js');
  const { exportOnnx } = await importDist('export/onnx.js');
  const { npyHeader } = await importDist('io/npy.js');
  const net = await loadNetwork(specFile);
  const { mean, std } = net.input;
  const sessions = new Map();
  const files = await listPhotos(photos);
  const t0 = performance.now();
  for (const file of files) {
    const { data, info } = await sharp(file).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const key = `${info.height}x${info.width}`;
    let session = sessions.get(key);
    if (!session) {
      const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) };
      session = await ort.InferenceSession.create(exportOnnx(net, { size: [info.height, info.width] }), options);
      sessions.set(key, session);
    }
    const input = new ort.Tensor('float32', normalise(data, info.width, info.height, mean, std), [1, 3, info.height, info.width]);
    const { output } = await session.run({ input });
    const [, c, h, w] = output.dims;
    const target = path.join(outDir, `${path.relative(photos, file).replace(/\.[^.]+$/, '')}.npy`);
    await mkdir(path.dirname(target), { recursive: true });
    const body = output.data;
    const handle = await open(target, 'w');
    await handle.writev([npyHeader([c, h, w]), new Uint8Array(body.buffer, body.byteOffset, body.byteLength)]);
    await handle.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const s of sessions.values()) await s.release();
  console.log(JSON.stringify({ seconds, images: files.length, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

await main();
