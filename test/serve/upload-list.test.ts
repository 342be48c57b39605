// `cnnx serve`'s upload list: the last 8 uploads are kept, and a photo that fails to decode leaves without taking a good one with it.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { post, seedFolder, startServe, state, waitForState, type ServeChild } from './serve-helpers.js';

describe('cnnx serve upload list', () => {
  let server: ServeChild;

  beforeAll(async () => {
    const folder = await seedFolder(16, 12);
    server = await startServe(folder.dir, folder.spec, [folder.photo, '--threads', '1']);
    await waitForState(server, (s) => s.generation >= 1, 'the first render');
  }, 120_000);

  afterAll(async () => {
    if (server.child.exitCode === null) await server.stop();
  });

  test('an undecodable upload evicts no good upload and keeps the shown image selected', async () => {
    const photo = await sharp({ create: { width: 12, height: 8, channels: 3, background: { r: 10, g: 200, b: 30 } } }).png().toBuffer();
    for (let i = 1; i <= 9; i++) expect((await post(server, '/upload', photo, { 'x-cnnx-name': `p${i}.png` })).status).toBe(200);
    const full = await state(server);
    // The command-line photo and the last 8 uploads.
    expect(full.images.slice(1)).toEqual([2, 3, 4, 5, 6, 7, 8, 9].map((i) => `upload ${i}: p${i}.png`));
    expect(full.selected).toBe(8);

    const junk = await post(server, '/upload', 'not an image at all', { 'x-cnnx-name': 'junk.png' });
    expect(junk.status).toBe(422);
    const after = await state(server);
    expect(after.error).toMatch(/junk\.png: not an image/);
    expect(after.images).toEqual(full.images);
    expect(after.selected).toBe(8);
    expect(after.generation).toBe(full.generation);
  }, 120_000);
});
