/**
 * A seeded, deterministic pseudo-random generator: the only randomness the core and the simulator use
 * (DESIGN.md: randomness comes from an injected, seeded generator). The same seed gives the same sequence
 * in Node and in every browser, because it uses only 32-bit integer arithmetic (Math.imul, >>>).
 *
 * Algorithm: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes PractRand),
 * seeded through splitmix32 so that nearby seeds (1, 2, 3...) give unrelated streams.
 */

export interface Rng {
  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** An integer in [0, maxExclusive), unbiased (rejection sampling); maxExclusive in [1, 2^32]. */
  int(maxExclusive: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher-Yates); the input is not changed. */
  shuffle<T>(items: readonly T[]): T[];
  /**
   * An independent generator derived from this one's current state and a label. The parent's sequence is
   * not advanced, so adding a fork never perturbs the draws of the parent (handy for per-component streams:
   * `rng.fork('network')`, `rng.fork('node-a')`). Same state and label -> same child stream.
   */
  fork(label: string): Rng;
}

const twoPow32 = 4294967296;

/** splitmix32 step: a well-mixed 32-bit value from a 32-bit state (used only for seeding). */
function splitmix32(state: number): { value: number; state: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { value: z >>> 0, state: next };
}

/** FNV-1a over the UTF-16 code units of a label: a stable 32-bit label hash for fork(). */
function labelHash(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fromState(state: readonly [number, number, number, number]): Rng {
  let [a, b, c, d] = state;
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  const int = (maxExclusive: number): number => {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > twoPow32) {
      throw new RangeError(`rng.int: maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`);
    }
    // Reject the top sliver of the 32-bit range that would make small results more likely.
    const limit = twoPow32 - (twoPow32 % maxExclusive);
    for (;;) {
      const x = nextU32();
      if (x < limit) return x % maxExclusive;
    }
  };
  return {
    next: () => nextU32() / twoPow32,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('rng.pick: empty array');
      return items[int(items.length)] as T;
    },
    shuffle: <T>(items: readonly T[]): T[] => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = out[i] as T;
        out[i] = out[j] as T;
        out[j] = tmp;
      }
      return out;
    },
    fork: (label: string): Rng => seeded([a, b, c, d, labelHash(label)]),
  };
}

/** Mixes any number of 32-bit words into a fresh sfc32 state, then discards a few outputs (warm-up). */
function seeded(words: readonly number[]): Rng {
  let s = 0x6a09e667;
  for (const w of words) {
    s = (s ^ Math.imul(w | 0, 0x9e3779b1)) | 0;
    s = splitmix32(s).value | 0;
  }
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = splitmix32(s);
    s = r.state;
    out.push(r.value);
  }
  const rng = fromState([out[0] as number, out[1] as number, out[2] as number, out[3] as number]);
  for (let i = 0; i < 12; i++) rng.next();
  return rng;
}

/** A generator for a seed (any finite number; the seed is reduced to its low 32 bits and its high bits). */
export function create(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`rng.create: seed must be finite, got ${seed}`);
  const whole = Math.trunc(seed);
  return seeded([whole >>> 0, Math.floor(whole / twoPow32) >>> 0]);
}
