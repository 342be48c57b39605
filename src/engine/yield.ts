// Lets the event loop run between long synchronous steps of an engine, so signal handlers and timers are not held off for a whole network.

/** Resolves on the event loop's next turn (after timers and I/O that are due, signal handlers among them). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
