/**
 * A Store that closes only after the operations in flight have ended: how a peer stops cleanly. The runtime
 * closes its store at once when it stops; with this wrapper the batch being committed at that moment still
 * reaches the disk whole (LevelDB and IndexedDB would otherwise abort it or close under it), and `closed`
 * resolves once the inner store has closed. Operations started after close() reject with a clear error.
 * Nothing acknowledged can be lost by stopping: an acknowledgement leaves only after its batch committed.
 */
import type { Loaded, Store } from './store.js';

export interface DrainingStore extends Store {
  /** Resolves once close() was called, every operation in flight ended, and the inner store closed. */
  readonly closed: Promise<void>;
}

/** `inner.close()` may return a promise (LevelDB's close is asynchronous); it is awaited. */
export function wrap(inner: Omit<Store, 'close'> & { close(): void | Promise<void> }): DrainingStore {
  let inFlight = 0;
  let closing = false;
  let finish: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const closed = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject; });

  function closeIfIdle(): void {
    if (!closing || inFlight > 0) return;
    Promise.resolve().then(() => inner.close()).then(finish, (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
  }

  async function track<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (closing) throw new Error(`storage closed: the node is stopping (while ${what})`);
    inFlight++;
    try {
      return await op();
    } finally {
      inFlight--;
      closeIfIdle();
    }
  }

  return {
    closed,
    apply: (records) => track(`writing ${records.length} records`, () => inner.apply(records)),
    load: (key): Promise<Loaded> => track(`reading "${key}"`, () => inner.load(key)),
    loadHints: (owner, key) => track(`reading hints of "${key}"`, () => inner.loadHints(owner, key)),
    loadAll: () => track('reading the stored state', () => inner.loadAll()),
    stats: () => inner.stats(),
    close() {
      if (closing) return;
      closing = true;
      closeIfIdle();
    },
  };
}
