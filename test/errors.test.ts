// The error catalogue (src/errors.ts): every code's exit code is one the README documents, and docs/errors.md lists the catalogue.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { CnnxError, ERROR_CODES, EXIT, type ErrorCode } from '../src/errors.js';
import { ROOT } from './helpers.js';

test('every exit code of the catalogue and of EXIT is a row of the README exit-code table', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Exit codes and errors'));
  const documented = new Set<number>();
  for (const [, codes] of table.matchAll(/^\| ([\d /]+) \|/gm)) for (const c of codes.split('/')) documented.add(Number(c.trim()));
  expect([...documented].sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  for (const [code, entry] of Object.entries(ERROR_CODES)) expect(documented.has(entry.exit), code).toBe(true);
});

test('docs/errors.md lists exactly the catalogue: code, exit code and meaning', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_.]+)` \| (\d+) \| (.+) \|$/gm)].map(([, code, exit, meaning]) => [code, Number(exit), meaning]);
  expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, e]) => [code, e.exit, e.meaning]));
});

test('a CnnxError takes its exit code from the catalogue', () => {
  const cases: [ErrorCode, number][] = [['spec.unknown_key', EXIT.usage], ['input.decode', EXIT.inputFailed], ['internal', EXIT.internal]];
  for (const [code, exit] of cases) {
    const error = new CnnxError(code, 'x');
    expect(error.exitCode).toBe(exit);
    expect(error.code).toBe(code);
  }
  // @ts-expect-error: a code outside the catalogue does not compile (and from plain JS, it is a bug: exit 70).
  expect(new CnnxError('spec.unknwon_key', 'x').exitCode).toBe(EXIT.internal);
});

test('codes are area.what in lower case, and every meaning is one line', () => {
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    expect(code).toMatch(/^(internal|[a-z]+\.[a-z_]+)$/);
    expect(entry.meaning).not.toMatch(/\n/);
  }
});
