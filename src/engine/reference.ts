// The reference engine: each layer's naive loops, one after another. Slow, obviously correct, the oracle for the fast engine.
import { layerDef } from '../layers/index.js';
import type { Network } from '../network/types.js';
import type { Band, RowRange } from './band.js';
import type { Engine } from './engine.js';
import type { Shape } from './tensor.js';

export function createReferenceEngine(): Engine {
  return {
    kind: 'reference',
    async run(net: Network, input: Band, rows: readonly RowRange[], outputs: readonly number[]): Promise<Band[]> {
      const last = outputs[outputs.length - 1];
      const results: Band[] = [];
      let band = input;
      let inShape: Shape = { channels: input.tensor.channels, height: input.fullHeight, width: input.tensor.width };
      for (let i = 0; i <= last; i++) {
        const layer = net.layers[i];
        const def = layerDef(layer);
        const outShape = def.outputShape(layer, inShape);
        if (typeof outShape === 'string') throw new RangeError(`layers[${i}]: ${outShape}`);
        const tensor = def.reference(layer, band, rows[i], outShape);
        band = { tensor, y0: rows[i].start, fullHeight: outShape.height };
        inShape = outShape;
        if (outputs.includes(i)) results.push(band);
      }
      return results;
    },
    async close() {},
  };
}
