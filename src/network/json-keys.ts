// A scan of valid JSON text for a key given twice in one object: JSON.parse keeps the last silently, and in a spec
// the first is then a setting that does nothing ("padding": 1, ..., "padding": 0).
import { stringEnd } from './json-depth.js';

export interface DuplicateKey {
  readonly key: string;
  /** Offsets of the key's first and second string in the text. */
  readonly first: number;
  readonly second: number;
}

/** The first key of `text` (valid JSON: run after JSON.parse succeeds) that an object holds twice, or null. */
export function duplicateKeyIn(text: string): DuplicateKey | null {
  // One frame per open bracket: an object's keys so far (with their offsets), or null for an array.
  const frames: (Map<string, number> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) frames.push(new Map());
    else if (c === 0x5b) frames.push(null);
    else if (c === 0x7d || c === 0x5d) frames.pop();
    else if (c === 0x22) {
      const start = i;
      i = stringEnd(text, i);
      const keys = frames.at(-1);
      if (!keys || !isKey(text, i + 1)) continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      const first = keys.get(key);
      if (first !== undefined) return { key, first, second: start };
      keys.set(key, start);
    }
  }
  return null;
}

/** Whether the string that ended before `i` is a key: the next character past white space is a colon. */
function isKey(text: string, i: number): boolean {
  while (i < text.length && /\s/.test(text[i])) i++;
  return text.charCodeAt(i) === 0x3a;
}
