/** Wall time and timers for the runtime: the browser's in the app, a hand-cranked one in tests. */
export interface Clock {
  nowMs(): number;
  /** Calls `fn` about every `ms`; returns a function that stops it. */
  every(ms: number, fn: () => void): () => void;
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowMs: () => performance.now(),
  every(ms, fn) { const id = setInterval(fn, ms); return () => clearInterval(id); },
  after(ms, fn) { const id = setTimeout(fn, ms); return () => clearTimeout(id); },
};
