// Worker thread entry for the decode stage: sharp decode plus the JS pixel conversion, off the main thread that drives the engine.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { CnnxError } from '../errors.js';
import { readInput } from '../io/image.js';
import type { DecodeReply, DecodeRequest } from './decode-protocol.js';

// One libvips thread per decode: parallelism comes from the pipeline, not from inside one small image.
sharp.concurrency(1);
sharp.cache(false);

parentPort?.on('message', async (req: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    const t = await readInput(req.source, req.name, req.spec, { maxPixels: req.maxPixels });
    reply = { id: req.id, ok: true, channels: t.channels, height: t.height, width: t.width, data: t.data };
    parentPort!.postMessage(reply, [t.data.buffer as ArrayBuffer]);
    return;
  } catch (error) {
    const known = error instanceof CnnxError;
    reply = { id: req.id, ok: false, code: known ? error.code : 'internal', message: (error as Error)?.message ?? String(error) };
  }
  parentPort!.postMessage(reply);
});
