// Calls back when a file changes on disk, however the editor saves it (in place, or a new file renamed over it).
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

export interface FileWatch {
  close(): void;
}

/**
 * Watches `file`'s folder rather than the file: an editor that saves by renaming a new file over the
 * old one leaves a watch on the old inode deaf. Events come in bursts (truncate, write, rename), so
 * `onChange` runs once `debounceMs` after the last one; the caller compares contents.
 */
export function watchFile(file: string, onChange: () => void, debounceMs = 150): FileWatch {
  const dir = path.dirname(path.resolve(file));
  const base = path.basename(file);
  let timer: NodeJS.Timeout | null = null;
  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, debounceMs);
  };
  let watcher: FSWatcher | null = null;
  try {
    // Some platforms give no name with an event: then any change in the folder is checked.
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (name === null || name === base) fire();
    });
    watcher.on('error', () => {});
  } catch {
    watcher = null;
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
