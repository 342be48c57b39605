// Reads entries of a zip archive (torch.save's container) with yauzl: the central directory first, then one entry at a time.
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { CnnxError } from '../errors.js';

export interface ZipArchive {
  /** Entry names, as stored. */
  readonly names: readonly string[];
  /** The entry's bytes, in a buffer of its own (so float data is aligned). */
  read(name: string): Promise<Uint8Array>;
  close(): void;
}

/** Opens `file` (messages name `display`); a file that is not a zip archive is a CnnxError. */
export async function openZip(file: string, display: string): Promise<ZipArchive> {
  const fail = (error: unknown): CnnxError => new CnnxError('import.corrupt', `${display}: not a valid zip archive: ${(error as Error).message}`);
  const zip = await new Promise<ZipFile>((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, z) => (error ? reject(fail(error)) : resolve(z)));
  });
  const entries = new Map<string, Entry>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', (error) => reject(fail(error)));
      zip.readEntry();
    });
  } catch (error) {
    zip.close();
    throw error;
  }
  return {
    names: [...entries.keys()],
    async read(name) {
      const entry = entries.get(name);
      if (!entry) throw new Error(`internal: no zip entry ${name}`);
      const out = new Uint8Array(entry.uncompressedSize);
      let at = 0;
      await new Promise<void>((resolve, reject) => {
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(fail(error));
          stream.on('data', (chunk: Buffer) => {
            if (at + chunk.length > out.length) {
              stream.destroy(new Error(`entry ${name} holds more bytes than its declared size`));
              return;
            }
            out.set(chunk, at);
            at += chunk.length;
          });
          stream.on('error', (e) => reject(fail(e)));
          stream.on('end', () => (at === out.length ? resolve() : reject(fail(new Error(`entry ${name} is truncated`)))));
        });
      });
      return out;
    },
    close: () => zip.close(),
  };
}
