// SIGINT/SIGTERM: from start-up on, a signal exits with every temp file removed; during a batch the first asks the run to wind down (within GRACE_MS), a second exits at once.
import { EXIT } from '../errors.js';
import { removePendingTemps } from '../io/atomic.js';

/** How long an exit on a signal waits for thread-pool writes before the last temp sweep. */
const SETTLE_MS = 30;
/**
 * How long the images in flight get after a first signal before the run stops anyway: a batch loses
 * no finished work, and one huge or absurd image cannot keep a run alive that was asked to stop.
 */
export const GRACE_MS = 5000;

export interface SignalTrap {
  /** The first signal received, or null. */
  readonly received: NodeJS.Signals | null;
  /** Back to exiting at once on a signal (exitOnSignals). */
  dispose(): void;
}

/** The first SIGINT or SIGTERM received: its exit code is the process's from then on, whatever comes next. */
let first: NodeJS.Signals | null = null;
/** Set by an exit on a signal: the exit code the process is leaving with. */
let quitting: number | null = null;
/** While a batch runs: what a signal does instead of exiting at once. */
let trap: ((signal: NodeJS.Signals) => void) | null = null;
let installed = false;

/**
 * The exit code of an exit on a signal under way, or null. Work still in flight then fails in odd
 * ways (a temp removed under a rename): such failures are the stop itself, not errors to report.
 */
export function quittingAtOnce(): number | null {
  return quitting;
}

export function exitCodeFor(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
}

/**
 * For the CLI, first thing at start-up: SIGINT and SIGTERM exit at once (130, 143) with every
 * pending temp file removed, unless a batch has trapped them (trapSignals). Temp files are removed
 * on any exit too.
 */
export function exitOnSignals(): void {
  if (installed) return;
  installed = true;
  const handler = (signal: NodeJS.Signals): void => {
    first ??= signal;
    if (trap) trap(signal);
    else quitNow(exitCodeFor(first));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('exit', leave);
}

/**
 * The last thing before the process goes: temp files are removed, and the process leaves at once
 * (process.exit) rather than through Node's teardown. The teardown closes the signal handles, which
 * puts back the default actions, so a signal during it (a second Ctrl-C just after the first
 * finished the run) would kill the process with that signal's number instead of the exit code set.
 * The 'exit' listeners registered after this one still run, in order, before it leaves.
 */
function leave(code: number): void {
  removePendingTemps();
  // process.exit inside an 'exit' listener skips the listeners after this one: run them first (a
  // program that calls main() and reports on exit, a library cleaning up).
  const listeners = process.listeners('exit');
  for (const listener of listeners.slice(listeners.indexOf(leave) + 1)) listener.call(process, code);
  process.exit(code);
}

/**
 * Removes temp files synchronously and exits with `code`: outputs only ever reach their final
 * names by rename, so nothing partial remains. A second sweep after a moment catches a temp that
 * a thread-pool task (a libvips decode) was creating during the first.
 */
function quitNow(code: number): void {
  if (quitting !== null) return;
  quitting = code;
  process.exitCode = code;
  removePendingTemps();
  setTimeout(() => {
    removePendingTemps();
    process.exit(code);
  }, SETTLE_MS).unref();
}

/**
 * Until `dispose`: calls `onFirst` on the first SIGINT or SIGTERM; a second one exits at once
 * (quitNow). After `dispose`, a signal exits at once again.
 */
export function trapSignals(onFirst: (signal: NodeJS.Signals) => void, log: (line: string) => void): SignalTrap {
  exitOnSignals();
  let received: NodeJS.Signals | null = null;
  trap = (signal: NodeJS.Signals): void => {
    if (received === null) {
      received = signal;
      log(`cnnx: ${signal}: finishing the images in flight (at most ${GRACE_MS / 1000} s), then stopping (${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to quit at once)`);
      onFirst(signal);
      setTimeout(() => {
        if (trap === null || quitting !== null) return;
        process.stderr.write(`cnnx: ${signal}: the images in flight did not finish within ${GRACE_MS / 1000} s: stopped\n`);
        quitNow(exitCodeFor(signal));
      }, GRACE_MS).unref();
      return;
    }
    process.stderr.write(`cnnx: ${signal} again: stopped at once\n`);
    quitNow(exitCodeFor(received));
  };
  return {
    get received() {
      return received;
    },
    dispose() {
      trap = null;
    },
  };
}
