// SIGINT/SIGTERM during a batch: the first asks the run to wind down, a second exits at once (temps removed, no partial file).
import { EXIT } from '../errors.js';
import { removePendingTemps } from '../io/atomic.js';

/** How long a second signal waits for thread-pool writes before the last temp sweep. */
const SETTLE_MS = 30;

export interface SignalTrap {
  /** The first signal received, or null. */
  readonly received: NodeJS.Signals | null;
  /** Restores default signal behaviour. */
  dispose(): void;
}

/** Set by a second signal: the exit code the process is leaving with. */
let quitting: number | null = null;

/**
 * The exit code of a second-signal exit under way, or null. Work still in flight then fails in odd
 * ways (a temp removed under a rename): such failures are the stop itself, not errors to report.
 */
export function quittingAtOnce(): number | null {
  return quitting;
}

export function exitCodeFor(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
}

/**
 * Calls `onFirst` on the first SIGINT or SIGTERM. On a second one, removes temp files synchronously
 * and exits: outputs only ever reach their final names by rename, so nothing partial remains.
 */
export function trapSignals(onFirst: (signal: NodeJS.Signals) => void, log: (line: string) => void): SignalTrap {
  let received: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals): void => {
    if (received === null) {
      received = signal;
      log(`cnnx: ${signal}: finishing the images in flight, then stopping (${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to quit at once)`);
      onFirst(signal);
      return;
    }
    const code = exitCodeFor(received);
    quitting = code;
    removePendingTemps();
    process.stderr.write(`cnnx: ${signal} again: stopped at once\n`);
    // A moment for writes already on the thread pool to land, then sweep again: only complete files keep final names.
    setTimeout(() => {
      removePendingTemps();
      process.exit(code);
    }, SETTLE_MS).unref();
  };
  const onExit = (): void => removePendingTemps();
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('exit', onExit);
  return {
    get received() {
      return received;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.off('exit', onExit);
    },
  };
}
