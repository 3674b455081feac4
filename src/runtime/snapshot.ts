/**
 * The throttled publisher of the one view (peer-view.ts): subscribers hear of a new picture at most every
 * publishIntervalMs (a burst of steps costs one render, and a hidden tab, whose timers are clamped to 1 s,
 * renders at most once a second).
 */
export interface Publisher<T> {
  /** Says the picture may have changed; subscribers hear of it within publishIntervalMs. */
  changed(): void;
  /** The picture right now (computed on demand, not throttled). */
  current(): T;
  subscribe(listener: (snapshot: T) => void): () => void;
  close(): void;
}

export const publishIntervalMs = 100;

export interface Scheduler {
  after(ms: number, fn: () => void): () => void;
}

const timerScheduler: Scheduler = {
  after(ms, fn) { const id = setTimeout(fn, ms); return () => clearTimeout(id); },
};

export function createPublisher<T>(read: () => T, scheduler: Scheduler = timerScheduler): Publisher<T> {
  const listeners = new Set<(snapshot: T) => void>();
  let cancel: (() => void) | undefined;

  function publish(): void {
    cancel = undefined;
    if (listeners.size === 0) return;
    const snapshot = read();
    for (const listener of listeners) listener(snapshot);
  }

  return {
    changed() {
      if (cancel === undefined) cancel = scheduler.after(publishIntervalMs, publish);
    },
    current: read,
    subscribe(listener) {
      listeners.add(listener);
      listener(read());
      return () => listeners.delete(listener);
    },
    close() {
      cancel?.();
      cancel = undefined;
      listeners.clear();
    },
  };
}
