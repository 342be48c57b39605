// The inputs of a run, held compactly: one string per input and a small number saying where it came from. Items are made when asked for, so a million inputs cost their names, not a million objects.
import path from 'node:path';
import type { InputItem } from './walk.js';

/** Where a group of inputs came from, which says how an input's `relative` path (the one outputs mirror) follows from its name. */
export type InputOrigin =
  /** Found under a folder argument: the name is `prefix` + relative. */
  | { readonly kind: 'folder'; readonly prefix: string }
  /** Named files (arguments or a list): relative to the deepest folder holding them all. */
  | { readonly kind: 'files'; readonly base: string }
  | { readonly kind: 'stdin' };

export const STDIN_NAME = '<stdin>';

/**
 * Names with a tag each (an index into a table the owner keeps), in a chosen order. Slicing and
 * filtering make new index arrays; the names themselves are shared.
 */
export class NameList {
  constructor(
    private readonly names: readonly string[],
    private readonly tags: Uint32Array,
    private readonly order: Uint32Array,
  ) {}

  get length(): number {
    return this.order.length;
  }

  name(i: number): string {
    return this.names[this.order[i]];
  }

  tag(i: number): number {
    return this.tags[this.order[i]];
  }

  /** Entries [start, end) in this order. */
  slice(start: number, end: number): NameList {
    return new NameList(this.names, this.tags, this.order.subarray(start, end));
  }

  /** The entries for which `keep(i)` is true, in this order. */
  filter(keep: (i: number) => boolean): NameList {
    const kept = new Uint32Array(this.order.length);
    let n = 0;
    for (let i = 0; i < this.order.length; i++) if (keep(i)) kept[n++] = this.order[i];
    return new NameList(this.names, this.tags, kept.slice(0, n));
  }
}

/** Collects names and tags; `build` sorts them by name (UTF-16 code units: the same order on every machine and locale, which shards rely on). */
export class NameListBuilder {
  private names: string[] = [];
  private tags = new Uint32Array(1024);

  get count(): number {
    return this.names.length;
  }

  add(name: string, tag: number): void {
    if (this.names.length === this.tags.length) {
      const grown = new Uint32Array(2 * this.tags.length);
      grown.set(this.tags);
      this.tags = grown;
    }
    this.tags[this.names.length] = tag;
    this.names.push(name);
  }

  /**
   * Sorted by name; with `key`, an entry whose key an earlier-added entry already had is dropped
   * (the first added is kept).
   */
  build(key?: (name: string, tag: number) => string): NameList {
    const names = this.names;
    let kept: Uint32Array;
    if (key) {
      const seen = new Set<string>();
      kept = new Uint32Array(names.length);
      let n = 0;
      for (let i = 0; i < names.length; i++) {
        const k = key(names[i], this.tags[i]);
        if (seen.has(k)) continue;
        seen.add(k);
        kept[n++] = i;
      }
      kept = kept.slice(0, n);
    } else {
      kept = Uint32Array.from({ length: names.length }, (_, i) => i);
    }
    kept.sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : a - b));
    return new NameList(names, this.tags.slice(0, names.length), kept);
  }
}

/** The inputs of a run: names in run order, with what each one's item needs to be made. */
export class InputList {
  constructor(
    private readonly list: NameList,
    private readonly origins: readonly InputOrigin[],
  ) {}

  get length(): number {
    return this.list.length;
  }

  name(i: number): string {
    return this.list.name(i);
  }

  item(i: number): InputItem {
    const name = this.list.name(i);
    const origin = this.origins[this.list.tag(i)];
    if (origin.kind === 'stdin') return { name, file: '-', relative: 'stdin' };
    const relative = origin.kind === 'folder' ? name.slice(origin.prefix.length) : path.relative(origin.base, path.resolve(name));
    return { name, file: name, relative };
  }

  /** True when some input is stdin. */
  readsStdin(): boolean {
    const stdin = this.origins.findIndex((o) => o.kind === 'stdin');
    if (stdin < 0) return false;
    for (let i = 0; i < this.length; i++) if (this.list.tag(i) === stdin) return true;
    return false;
  }

  slice(start: number, end: number): InputList {
    return new InputList(this.list.slice(start, end), this.origins);
  }

  filter(keep: (i: number) => boolean): InputList {
    return new InputList(this.list.filter(keep), this.origins);
  }
}

/** Gathers inputs from several sources (folder walks, named files, stdin) before they are sorted into an InputList. */
export class InputListBuilder {
  private readonly names = new NameListBuilder();
  private readonly origins: InputOrigin[] = [];

  get count(): number {
    return this.names.count;
  }

  /** A new group of inputs; its number tags the names added under it. */
  origin(origin: InputOrigin): number {
    this.origins.push(origin);
    return this.origins.length - 1;
  }

  add(name: string, origin: number): void {
    this.names.add(name, origin);
  }

  /**
   * Sorted by name. The same file listed twice (by any spelling) is kept once, the first added; a
   * single folder walk cannot hold a file twice, so it is not checked (the check holds every path).
   */
  build(): InputList {
    const single = this.origins.length === 1 && this.origins[0].kind === 'folder';
    const key = (name: string, tag: number): string => (this.origins[tag].kind === 'stdin' ? '-' : path.resolve(name));
    return new InputList(this.names.build(single ? undefined : key), this.origins);
  }
}
