// `cnnx export-onnx`: writes a network as an ONNX model file, atomically (temp file beside the target, then rename).
import { CnnxError } from '../errors.js';
import { exportOnnx } from '../export/onnx.js';
import { writeFileAtomic, writeReason } from '../io/atomic.js';
import type { Network } from '../network/types.js';

export interface ExportOnnxCommandOptions {
  /** Path of the .onnx file to write (replaced if it exists; its folder is created). */
  readonly output: string;
  /** Fixed input [height, width]; symbolic ("height", "width") when absent. */
  readonly size?: readonly [number, number];
  readonly opset?: number;
  /** Named layers (or `all`) to expose as extra graph outputs, as `apply --layer`. */
  readonly layers?: readonly string[];
}

/** Exports `net` to `options.output`; a reader never sees a half-written model. */
export async function exportOnnxCommand(net: Network, options: ExportOnnxCommandOptions): Promise<void> {
  // Encode first: an unsupported layer must fail before anything touches the disk.
  const bytes = exportOnnx(net, { opset: options.opset, size: options.size, layers: options.layers });
  try {
    await writeFileAtomic(options.output, bytes);
  } catch (error) {
    throw new CnnxError('export.write', `${options.output}: cannot write the ONNX model: ${writeReason(error)}`);
  }
}
