// Finds where a JSON text first goes wrong, for "file:line:col" messages (Node 20's JSON.parse often gives no position).

/** Offset and reason of the first syntax error in `text`, or null when it is valid JSON. */
export function findJsonError(text: string): { offset: number; reason: string } | null {
  let i = 0;
  const fail = (reason: string): never => {
    throw { offset: i, reason };
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${describe(text[i])}`);
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1];
        if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else fail('invalid escape in a string');
      } else if (text.charCodeAt(i) < 0x20) fail('unescaped control character in a string (a line break inside quotes?)');
      else i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '-') fail(`unexpected ${describe(text[i])}`);
    i += (match as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    fail(c === undefined ? 'unexpected end of file' : `unexpected ${describe(c)}`);
  };
  const object = () => {
    i++;
    space();
    if (text[i] === '}') return void i++;
    for (;;) {
      space();
      if (text[i] !== '"') fail(text[i] === '}' ? 'trailing comma before }' : `expected a "key", got ${describe(text[i])}`);
      string();
      space();
      if (text[i] !== ':') fail(`expected : after the key, got ${describe(text[i])}`);
      i++;
      value();
      space();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') return void i++;
      fail(`expected , or } in an object, got ${describe(text[i])}`);
    }
  };
  const array = () => {
    i++;
    space();
    if (text[i] === ']') return void i++;
    for (;;) {
      space();
      if (text[i] === ']') fail('trailing comma before ]');
      value();
      space();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') return void i++;
      fail(`expected , or ] in an array, got ${describe(text[i])}`);
    }
  };
  try {
    value();
    space();
    if (i < text.length) fail(`unexpected ${describe(text[i])} after the end of the JSON value`);
    return null;
  } catch (error) {
    return error as { offset: number; reason: string };
  }
}

function describe(c: string | undefined): string {
  return c === undefined ? 'end of file' : JSON.stringify(c);
}

/** 1-based line and column of `offset`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}
