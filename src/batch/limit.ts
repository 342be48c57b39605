// A small concurrency helper: map with at most N promises pending.

/** Like Promise.all(items.map(fn)) but with at most `limit` calls pending; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  await forEachLimit(items.length, limit, async (i) => {
    results[i] = await fn(items[i], i);
  });
  return results;
}

/** Calls `fn(0)` .. `fn(count - 1)` with at most `limit` calls pending, without an array of items or results. */
export async function forEachLimit(count: number, limit: number, fn: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}
