// Quantities in messages and tables: byte sizes and counted nouns, spelt one way everywhere.

/** Bytes in binary units, one decimal at most: `12 B`, `4 KiB`, `1.5 MiB`, `2 GiB` (parseMemorySize reads them back). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let u = 0;
  while (value >= 1024 && u < units.length - 1) {
    value /= 1024;
    u++;
  }
  return `${u === 0 ? bytes : Number(value.toFixed(1))} ${units[u]}`;
}

/** `n` and the noun in the number it needs: `1 number`, `2 numbers`, `0 layers`; `many` for irregular nouns. */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}
