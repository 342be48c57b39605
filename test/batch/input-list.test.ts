// The compact input list: sorting and deduplication as a property, items made from names as the folder walk and named files spell them, and a walk that screens FIFOs without blocking and counts them skipped.
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { NameListBuilder } from '../../src/batch/input-list.js';
import { SKIP_REASONS } from '../../src/batch/walk.js';
import { gatherInputs } from '../../src/cli/inputs.js';
import { tempDir } from '../helpers.js';
import { GOOD, PHOTOS } from './batch-helpers.js';

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('NameList', () => {
  it('keeps the first of each key, sorts by UTF-16 code units, and slices and filters in that order', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'b', 'B', '/', '.', 'é', '\u{1F600}', '\uE000'), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.integer({ min: 0, max: 3 })), { maxLength: 200 }), fc.boolean(), fc.nat(), fc.nat(), (entries, dedupe, a, b) => {
        const builder = new NameListBuilder();
        for (const [n, tag] of entries) builder.add(n, tag);
        // Two entries share a key when their lower-cased names do: the first added stays.
        const list = builder.build(dedupe ? (n) => n.toLowerCase() : undefined);
        const seen = new Set<string>();
        const expected = entries.filter(([n]) => !dedupe || (!seen.has(n.toLowerCase()) && seen.add(n.toLowerCase()))).sort((x, y) => byName(x[0], y[0]));
        const got = Array.from({ length: list.length }, (_, i) => [list.name(i), list.tag(i)]);
        // Equal names keep the order they were added in.
        expect(got).toEqual(expected);
        const start = Math.min(a, b) % (list.length + 1);
        const end = Math.max(start, Math.max(a, b) % (list.length + 1));
        const slice = list.slice(start, end);
        expect(Array.from({ length: slice.length }, (_, i) => slice.name(i))).toEqual(expected.slice(start, end).map(([n]) => n));
        const odd = list.filter((i) => i % 2 === 1);
        expect(Array.from({ length: odd.length }, (_, i) => [odd.name(i), odd.tag(i)])).toEqual(expected.filter((_, i) => i % 2 === 1));
      }),
    );
  });
});

describe('gathering inputs', () => {
  const dir = tempDir('cnnx-input-list-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const items = async (args: string[], fromList?: string) => {
    const { items, skipped } = await gatherInputs({ args, fromList, nul: false, recursive: true });
    return {
      items: Array.from({ length: items.length }, (_, i) => items.item(i)),
      skipped: Array.from({ length: skipped.length }, (_, i) => [skipped.name(i), SKIP_REASONS[skipped.tag(i)]]),
    };
  };

  it('names a walked file as path.join(folder, relative), however the folder is spelled', async () => {
    const cwd = process.cwd();
    const spellings = [`${PHOTOS}/`, `${PHOTOS}//`, path.relative(cwd, PHOTOS), `./${path.relative(cwd, PHOTOS)}`, `${PHOTOS}/../${path.basename(PHOTOS)}`, path.join(PHOTOS, '2024', '..')];
    const canonical = (await items([PHOTOS])).items.map((item) => item.relative);
    expect(canonical).toEqual(expect.arrayContaining(Object.keys(GOOD)));
    for (const arg of [PHOTOS, ...spellings]) {
      const { items: got } = await items([arg]);
      expect(got.map((item) => item.relative), arg).toEqual(canonical);
      for (const item of got) {
        expect(item.name, arg).toBe(path.join(arg, item.relative));
        expect(item.file).toBe(item.name);
        expect(path.resolve(item.file)).toBe(path.resolve(PHOTOS, item.relative));
      }
    }
    // The current folder spells names without a leading ./.
    process.chdir(PHOTOS);
    try {
      const { items: here } = await items(['.']);
      expect(here.map((i) => i.name)).toContain('cat.png');
      for (const item of here) expect(item.name).toBe(item.relative);
    } finally {
      process.chdir(cwd);
    }
  });

  it('keeps a file given twice (by folder, by name, by another spelling) once, named as first found', async () => {
    const cat = path.join(PHOTOS, 'cat.png');
    const { items: got } = await items([cat, PHOTOS, `./${path.relative(process.cwd(), cat)}`, path.join(PHOTOS, '2024')]);
    const resolved = got.map((i) => path.resolve(i.file));
    expect(new Set(resolved).size).toBe(resolved.length);
    // The folder walk comes before named files, so cat.png keeps its walked name and relative path.
    const catItem = got.find((i) => path.resolve(i.file) === cat)!;
    expect(catItem).toEqual({ name: path.join(PHOTOS, 'cat.png'), file: path.join(PHOTOS, 'cat.png'), relative: 'cat.png' });
    expect(got.map((i) => i.name)).toEqual([...got.map((i) => i.name)].sort(byName));
  });

  it('named files mirror their paths below the deepest folder holding them all; stdin is one input', async () => {
    const a = path.join(PHOTOS, 'cat.png');
    const b = path.join(PHOTOS, '2024', 'summer', 'astronaut.png');
    const { items: got } = await items([b, a, '-']);
    expect(got).toEqual([
      { name: b, file: b, relative: path.join('2024', 'summer', 'astronaut.png') },
      { name: a, file: a, relative: 'cat.png' },
      { name: '<stdin>', file: '-', relative: 'stdin' },
    ].sort((x, y) => byName(x.name, y.name)));
  });

  it('screens a hidden file, a text file and a link to a FIFO without blocking on the FIFO; a FIFO and a socket are skipped unopened', async () => {
    const folder = path.join(dir, 'mixed');
    mkdirSync(folder, { recursive: true });
    copyFileSync(path.join(PHOTOS, 'cat.png'), path.join(folder, 'cat.png'));
    writeFileSync(path.join(folder, 'notes.txt'), 'not an image');
    writeFileSync(path.join(folder, '.hidden.png'), 'hidden');
    expect(spawnSync('mkfifo', [path.join(folder, 'pipe.png')]).status).toBe(0);
    symlinkSync('pipe.png', path.join(folder, 'link.png'));
    const socket = createServer();
    await new Promise<void>((resolve) => socket.listen(path.join(folder, 'sock.jpg'), resolve));
    const got = await items([folder]).finally(() => socket.close());
    expect(got.items.map((i) => i.relative)).toEqual(['cat.png']);
    expect(got.skipped).toEqual([
      [path.join(folder, '.hidden.png'), 'hidden'],
      [path.join(folder, 'link.png'), 'not an image'],
      [path.join(folder, 'notes.txt'), 'not an image'],
      [path.join(folder, 'pipe.png'), 'not an image'],
      [path.join(folder, 'sock.jpg'), 'not an image'],
    ]);
    // Listed by name, the FIFO is screened by content too.
    const list = path.join(dir, 'list.txt');
    writeFileSync(list, `${path.join(folder, 'pipe.png')}\n${path.join(folder, 'cat.png')}\n`);
    const listed = await items([], list);
    expect(listed.items.map((i) => i.name)).toEqual([path.join(folder, 'cat.png')]);
    expect(listed.skipped).toEqual([[path.join(folder, 'pipe.png'), 'not an image']]);
  }, 30_000);
});
