// The reference engine: each node's naive loops, in order. Slow, obviously correct, the oracle for the fast engine.
import { isMerge, layerDef, mergeDef } from '../layers/index.js';
import { inputShapes, nodeShape } from '../network/shapes.js';
import { INPUT, type Network } from '../network/types.js';
import type { Band } from './band.js';
import { closedEngine, type Engine, type NodeRows } from './engine.js';
import type { Shape } from './tensor.js';
import { yieldToEventLoop } from './yield.js';

export function createReferenceEngine(): Engine {
  let closed = false;
  return {
    kind: 'reference',
    async run(net: Network, input: Band, rows: NodeRows, outputs: readonly number[]): Promise<Band[]> {
      // As the fast engine: a closed engine runs nothing (its callers must not depend on which engine they hold).
      if (closed) throw closedEngine();
      const last = outputs[outputs.length - 1];
      const inShape: Shape = { channels: input.tensor.channels, height: input.fullHeight, width: input.tensor.width };
      const shapes: Shape[] = [];
      const bands: (Band | undefined)[] = [];
      // A band is dropped after its last reader, so a long branch does not keep every map alive.
      const lastUse = new Array<number>(net.layers.length).fill(-1);
      for (const layer of net.layers) for (const i of layer.inputs) if (i !== INPUT) lastUse[i] = layer.index;
      const keep = new Set(outputs);
      for (let i = 0; i <= last; i++) {
        const layer = net.layers[i];
        const outShape = nodeShape(layer, inputShapes(layer, inShape, shapes));
        if (typeof outShape === 'string') throw new RangeError(`${layer.path}: ${outShape}`);
        shapes.push(outShape);
        const r = rows[i];
        if (r === null) continue;
        const ins = layer.inputs.map((j) => {
          const band = j === INPUT ? input : bands[j];
          if (!band) throw new RangeError(`${layer.path}: its input ${j} was not computed (rows[${j}] is null)`);
          return band;
        });
        const tensor = isMerge(layer) ? mergeDef(layer).reference(layer, ins, r, outShape) : layerDef(layer).reference(layer, ins[0], r, outShape);
        bands[i] = { tensor, y0: r.start, fullHeight: outShape.height };
        for (const j of layer.inputs) if (j !== INPUT && lastUse[j] === i && !keep.has(j)) bands[j] = undefined;
        // Each layer is one synchronous loop: between them, a SIGINT or SIGTERM handler gets to run.
        await yieldToEventLoop();
      }
      return outputs.map((o) => bands[o]!);
    },
    async close() {
      closed = true;
    },
  };
}
