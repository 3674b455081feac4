/**
 * Waiting on conditions, never on fixed sleeps for correctness: `pollUntil` checks a condition until it
 * holds, with an upper bound that only a hang crosses (it then throws, naming what never happened).
 * `sleep` is only for pacing: how long a fault is held, how long a client thinks between requests.
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every `intervalMs` until it is true; throws after `boundMs`. */
export async function pollUntil(what: string, boundMs: number, condition: () => Promise<boolean>, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`chaos: gave up waiting after ${boundMs / 1000} s: ${what}`);
    await sleep(intervalMs);
  }
}

/** `promise`, or `onTimeout()` when it has not settled within `boundMs` (the promise is left to run). */
export async function within<T>(promise: Promise<T>, boundMs: number, onTimeout: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => { timer = setTimeout(() => resolve(onTimeout()), boundMs); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
