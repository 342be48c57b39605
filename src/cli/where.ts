// `cnnx where NET --layer L --pixel Y,X` (input region of one output cell) and `--input-pixel Y,X` (output cells that see one input pixel).
import { CnnxError } from '../errors.js';
import { formatWhere, whereQuery } from '../inspect/where-query.js';
import { selectLayers } from '../network/run.js';
import { INPUT, type Network } from '../network/types.js';

export interface WhereOptions {
  readonly layer?: string;
  readonly pixel?: [number, number];
  readonly inputPixel?: [number, number];
  readonly json: boolean;
}

/** Runs the command and returns the lines (or one JSON document) to print. */
export function whereCommand(net: Network, size: [number, number], options: WhereOptions): string {
  if ((options.pixel === undefined) === (options.inputPixel === undefined)) {
    throw new CnnxError('usage.where', 'where needs exactly one of --pixel Y,X (an output cell) or --input-pixel Y,X (an input pixel)');
  }
  if (options.layer === 'all') throw new CnnxError('usage.layer', 'where takes one layer, not "all"');
  const [selected] = selectLayers(net, options.layer === undefined ? [] : [options.layer]);
  if (selected.node === INPUT) throw new CnnxError('usage.layer', 'where needs a layer, not the input: every input pixel is its own receptive field');
  const index = selected.node;
  const input = { channels: net.input.channels, height: size[0], width: size[1] };
  const answer = whereQuery(net, input, index, options.pixel ? { pixel: options.pixel } : { inputPixel: options.inputPixel! });
  return options.json ? JSON.stringify(answer, null, 2) : formatWhere(net, answer).join('\n');
}
