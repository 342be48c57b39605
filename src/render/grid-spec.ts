// The --grid spelling of a picture's tile layout (COLSxROWS), parsed without loading the renderer.
import { CnnxError } from '../errors.js';

/**
 * Parses a grid spelling (the CLI's --grid): `COLSxROWS` (`8x4`), `COLSx` or a bare `COLS` (rows follow), `xROWS` (columns follow).
 * @example parseGrid('8x') // { cols: 8 }
 */
export function parseGrid(text: string): { cols?: number; rows?: number } {
  const m = /^\s*(\d+)?\s*(?:x\s*(\d+)?)?\s*$/i.exec(text);
  const cols = m?.[1] !== undefined ? Number(m[1]) : undefined;
  const rows = m?.[2] !== undefined ? Number(m[2]) : undefined;
  if (!m || (cols === undefined && rows === undefined) || cols === 0 || rows === 0) {
    throw new CnnxError('render.grid', `grid ${JSON.stringify(text)}: expected COLSxROWS, COLSx or xROWS with positive numbers (for example 8x4)`);
  }
  return { ...(cols !== undefined && { cols }), ...(rows !== undefined && { rows }) };
}
