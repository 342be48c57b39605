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
const spare: (Float32Array | Uint8Array)[] = [];
const MAX_SPARE = 4;

function take<T extends Float32Array | Uint8Array>(kind: new (n: number) => T, length: number): T | undefined {
  const k = spare.findIndex((a) => a instanceof kind && a.length === length);
  return k >= 0 ? (spare.splice(k, 1)[0] as T) : undefined;
}

const reuse = (length: number) => take(Float32Array, length);

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
      // sharp's buffers cannot be handed over (external memory, copied by postMessage into a new array
      // for the main thread to collect): they are copied into an array of this worker's, which is.
      const pixels = take(Uint8Array, t.pixels.length) ?? new Uint8Array(t.pixels.length);
      pixels.set(t.pixels);
      reply = { id: req.id, ok: true, height: t.height, width: t.width, pixels, have: t.have, lookup: t.lookup };
      parentPort!.postMessage(reply, [pixels.buffer]);
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
