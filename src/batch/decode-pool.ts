// The decode stage: images are decoded and converted to tensors in worker threads, so the main thread stays free to feed the engine.
import { Worker } from 'node:worker_threads';
import { PixelTensor } from '../engine/pixels.js';
import { tensor, type Tensor } from '../engine/tensor.js';
import { CnnxError } from '../errors.js';
import { readInput } from '../io/image.js';
import type { InputSpec } from '../network/types.js';
import type { DecodeReply, DecodeRequest, RecycleRequest } from './decode-protocol.js';

/** The compiled worker; the pool only runs from dist/ (the CLI), like the fast engine's workers. */
const WORKER_URL = new URL('./decode-worker.js', import.meta.url);

/**
 * A decode worker's young generation, in MB (V8 splits it into two semi-spaces of a third each):
 * the size it has in a run of a few hundred images. Left to V8 it doubles once enough objects have
 * survived, which a long run always reaches, and each decode's garbage then fills twice the pages.
 */
export const DECODE_YOUNG_MB = 12;

export interface Decoder {
  decode(source: string | Uint8Array, name: string): Promise<Tensor>;
  /** Hands back a decoded tensor that nothing uses any more (nor a view of its buffer): its array may be overwritten by a later decode. */
  recycle?(input: Tensor): void;
  close(): Promise<void>;
}

/** Decodes on the calling thread: for runs of one image, where a worker's start-up costs more than it saves. */
export function inlineDecoder(spec: InputSpec, maxPixels?: number): Decoder {
  return {
    decode: (source, name) => readInput(source, name, spec, { maxPixels, keepPixels: true }),
    close: async () => {},
  };
}

/** `threads` decode workers; requests go to the least busy one. */
export function workerDecoder(threads: number, spec: InputSpec, maxPixels?: number): Decoder {
  const pending = new Map<number, { resolve: (t: Tensor) => void; reject: (e: Error) => void; worker: number }>();
  const busy = new Array<number>(threads).fill(0);
  let nextId = 1;
  let nextRecycle = 0;
  const workers = Array.from({ length: threads }, (_, w) => {
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: DECODE_YOUNG_MB } });
    worker.on('message', (reply: DecodeReply) => settle(reply));
    worker.on('error', (error) => failAll(w, error));
    return worker;
  });

  function settle(reply: DecodeReply): void {
    const job = pending.get(reply.id);
    if (!job) return;
    pending.delete(reply.id);
    busy[job.worker]--;
    if (reply.ok) job.resolve('pixels' in reply ? new PixelTensor(reply.width, reply.height, reply.pixels, reply.have, reply.lookup) : tensor(reply.channels, reply.height, reply.width, reply.data));
    else job.reject(reply.code === 'internal' ? new Error(reply.message) : new CnnxError(reply.code, reply.message));
  }

  function failAll(w: number, error: Error): void {
    for (const [id, job] of pending) {
      if (job.worker !== w) continue;
      pending.delete(id);
      job.reject(new Error(`decode worker failed: ${error.message}`));
    }
  }

  return {
    decode(source, name) {
      const w = busy.indexOf(Math.min(...busy));
      const id = nextId++;
      busy[w]++;
      const req: DecodeRequest = { type: 'decode', id, source, name, spec, maxPixels };
      return new Promise<Tensor>((resolve, reject) => {
        pending.set(id, { resolve, reject, worker: w });
        workers[w].postMessage(req);
      });
    },
    recycle(input) {
      const data = input instanceof PixelTensor ? input.pixels : input.data;
      // Only arrays that own their whole buffer (decoded images; not views into a .npy file's bytes).
      if (data.byteOffset !== 0 || data.buffer.byteLength !== data.byteLength || !(data.buffer instanceof ArrayBuffer)) return;
      const req: RecycleRequest = { type: 'recycle', data };
      workers[nextRecycle++ % threads].postMessage(req, [data.buffer]);
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
