// A bracket-depth pre-scan of JSON text, so nesting deep enough to overflow the stack (JSON.parse's or cnnx's own recursion) is refused first.

/**
 * The offset of the first `[` or `{` of `text` nested deeper than `max`, or -1. Strings are skipped,
 * so brackets inside them do not count; the text need not be valid JSON (JSON.parse judges that).
 */
export function tooDeepAt(text: string, max: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** The offset of the closing quote of the JSON string opening at `start` (past escapes), or the text's length. */
export function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
  return i;
}
