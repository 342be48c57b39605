// Library option names in messages (`options.maxMemory`) as the command line spells them (`--max-memory`).
import { oneLine, type CnnxError } from '../errors.js';

/** The flag of each library option a message can name; options the CLI has no flag for stay as they are. */
const FLAGS: Readonly<Record<string, string>> = {
  kind: '--engine',
  threads: '--threads',
  maxMemory: '--max-memory',
  bandRows: '--band-rows',
  maxPixels: '--max-pixels',
  opset: '--opset',
  size: '--size',
  layers: '--layer',
  scale: '--scale',
  cmap: '--cmap',
  sort: '--sort',
  grid: '--grid',
  pixel: '--pixel',
  inputPixel: '--input-pixel',
  atol: '--atol',
  rtol: '--rtol',
};

/** Boolean options whose CLI flag turns them off. */
const NEGATED: Readonly<Record<string, string>> = { winograd: '--no-winograd', fma: '--no-fma' };

/**
 * `options.NAME`, optionally followed by a quoted value or a boolean, as a flag: `options.maxMemory` ->
 * `--max-memory`, `options.kind "reference"` -> `--engine reference`, `options.winograd false` -> `--no-winograd`.
 */
export function inCliWords(message: string): string {
  return message.replace(/\boptions\.([A-Za-z]+)(?: "([^"]*)"| (true|false)\b)?/g, (whole, name: string, quoted?: string, bool?: string) => {
    if (bool === 'false' && NEGATED[name]) return NEGATED[name];
    const flag = FLAGS[name];
    if (!flag) return whole;
    if (quoted !== undefined) return `${flag} ${quoted}`;
    return bool !== undefined ? `${flag} ${bool}` : flag;
  });
}

/** A library error's message as the command line says it: flags for options, on one line whatever the file names hold. */
export function cliMessage(error: CnnxError): string {
  return oneLine(inCliWords(error.message));
}
