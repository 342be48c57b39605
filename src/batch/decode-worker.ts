// Worker thread entry for the decode stage: sharp decode, resize, and the pixel conversion the engine does not do itself, off the main thread that drives the engine.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { PixelTensor } from '../engine/pixels.js';
import { CnnxError } from '../errors.js';
import { readInput } from '../io/image.js';
import type { DecodeReply, ToDecodeWorker } from './decode-protocol.js';

// One libvips thread per decode: parallelism comes from the pipeline, not from inside one small image.
sharp.concurrency(1);
sharp.cache(false);

/** Arrays sent back by the pool, overwritten by the next decodes of their length (a fresh one faults in every page). */
const spare: Float32Array[] = [];
const MAX_SPARE = 4;

function reuse(length: number): Float32Array | undefined {
  const k = spare.findIndex((a) => a.length === length);
  return k >= 0 ? spare.splice(k, 1)[0] : undefined;
}

parentPort?.on('message', async (req: ToDecodeWorker) => {
  if (req.type === 'recycle') {
    spare.push(req.data);
    if (spare.length > MAX_SPARE) spare.shift();
    return;
  }
  let reply: DecodeReply;
  try {
    const t = await readInput(req.source, req.name, req.spec, { maxPixels: req.maxPixels, reuse, keepPixels: true });
    if (t instanceof PixelTensor) {
      // sharp's buffers may share memory or be external (not transferable): the pixels cross as a copy.
      reply = { id: req.id, ok: true, height: t.height, width: t.width, pixels: t.pixels, have: t.have, lookup: t.lookup };
      parentPort!.postMessage(reply);
    } else {
      reply = { id: req.id, ok: true, channels: t.channels, height: t.height, width: t.width, data: t.data };
      parentPort!.postMessage(reply, [t.data.buffer as ArrayBuffer]);
    }
    return;
  } catch (error) {
    const known = error instanceof CnnxError;
    reply = { id: req.id, ok: false, code: known ? error.code : 'internal', message: (error as Error)?.message ?? String(error) };
  }
  parentPort!.postMessage(reply);
});
