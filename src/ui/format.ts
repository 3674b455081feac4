/**
 * Formatting for people: vector clocks, byte counts, ages, host labels, fingerprints, and a stable color
 * per node id.
 * Pure functions; every output is plain text (the views bind it as text, never as markup).
 */

/** True for a one-write actor (`~<hash>@<epoch>`): the coordinator's stand-in for a dot, not a node. */
export function isOneWriteActor(actor: string): boolean {
  return actor.startsWith('~');
}

/**
 * `{a@7: 2, b@9: 1}` as `a:2 · b:1`, actors sorted so equal clocks always read the same. An actor's epoch
 * (after `@`) is shown only when the clock holds two lives of one node, as `a@…1234`. One-write actors are
 * left out (they name no node; `fullClock` lists them).
 */
export function clock(entries: Readonly<Record<string, number>>): string {
  const actors = Object.keys(entries).filter((a) => !isOneWriteActor(a)).sort();
  if (actors.length === 0) return Object.keys(entries).length === 0 ? '(empty clock)' : '(one-off writes only)';
  const nodeOf = (actor: string) => (actor.lastIndexOf('@') < 0 ? actor : actor.slice(0, actor.lastIndexOf('@')));
  const perNode = new Map<string, number>();
  for (const a of actors) perNode.set(nodeOf(a), (perNode.get(nodeOf(a)) ?? 0) + 1);
  const label = (a: string) => (perNode.get(nodeOf(a)) === 1 ? nodeOf(a) : `${nodeOf(a)}@…${a.slice(a.lastIndexOf('@') + 1).slice(-4)}`);
  return actors.map((actor) => `${label(actor)}:${entries[actor]}`).join(' · ');
}

/** Every entry of a clock, one-write actors and epochs included (for a title attribute). */
export function fullClock(entries: Readonly<Record<string, number>>): string {
  return Object.keys(entries).sort().map((a) => `${a}:${entries[a]}`).join(' ');
}

const byteUnits = ['B', 'KiB', 'MiB', 'GiB'] as const;

export function bytes(count: number): string {
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${byteUnits[unit]}`;
}

/** A heartbeat age: `now`, `0.4 s`, `12 s`, `3 min`. */
export function age(ms: number): string {
  if (ms < 250) return 'now';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Wall-clock time of day `14:03:07.120` for the timeline. */
export function timeOfDay(atMs: number): string {
  const d = new Date(atMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

/** FNV-1a over the text's UTF-16 code units from `seed`, then a final mix so nearby ids land far apart. */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/**
 * Twelve colors for the dark theme, in the order a room's names take them: each is the farthest (in OKLab)
 * from all before it, so the first few names of a room are the most distinct (picked by a greedy
 * farthest-point search over OKLCH; every pair is at least 0.1 apart in OKLab, the old palette's light
 * blue and indigo were 0.06 from its blue). No yellow: the ring uses it for the key probe; no grey: it
 * reads as "unreachable".
 */
export const palette: readonly string[] = [
  '#4e9af1', '#d75a21', '#20f4bb', '#4b9d27', '#f98ae0', '#af5fc7',
  '#6cc7d7', '#9b8442', '#e5c0fc', '#d35182', '#2eb88f', '#a686fc',
];

/** Names like the server's `n1`, a peer's `p1`, a test's `t1`: a prefix of letters and a number. */
const numberedName = /^([a-z]+)(\d{1,6})$/;

/**
 * Which palette slot an id takes. A numbered name takes one by its number, so a room's first names get the
 * palette's first (most distinct) colors: `n1`, `n2`, ... count up from the start; always-on peers (`p1`,
 * `p2`, ...) count down from the end, and any other prefix (`s1`, `t1`, ...) down from three before the
 * end, so n1-n5 with two peers and a few other names never share a color. Any other id is hashed.
 */
function slotOf(id: string): number {
  const m = numberedName.exec(id);
  if (!m) return fnv1a(id) % palette.length;
  const k = Number(m[2]);
  const slot = m[1] === 'n' ? k - 1 : palette.length - k - (m[1] === 'p' ? 0 : 3);
  return ((slot % palette.length) + palette.length) % palette.length;
}

/**
 * A node's color from its id alone. Pure, so every tab paints a node the same way, and a join or leave
 * never repaints the others (a color by sort position would).
 */
export function nodeColor(id: string): string {
  return palette[slotOf(id)] as string;
}

/** A host id as a short label: "peer" for an always-on peer (`peer-...`), else its first 4 characters. */
export function hostLabel(host: string): string {
  return host.startsWith('peer-') ? 'peer' : host.slice(0, 4);
}

/** A short fingerprint of an opaque context, e.g. `7f3a…` (the full text goes in a title attribute). */
export function fingerprint(text: string): string {
  return `${fnv1a(text).toString(16).padStart(8, '0').slice(0, 4)}…`;
}

/**
 * Core trace texts in classroom words: a node's epoch and incarnation together are its "life" (the epoch
 * is a random number, so only its last 4 digits are shown).
 */
export function plainWords(text: string): string {
  return text
    .replace(/epoch (\d+), incarnation (\d+)/g, (_m, e: string, i: string) => `life …${e.slice(-4)}.${i}`)
    .replace(/\bepoch (\d+)/g, (_m, e: string) => `life …${e.slice(-4)}`)
    .replace(/\bincarnation (\d+)/g, 'life update $1');
}

/** Node ids can be long; the views show a short, still unique-looking label. */
export function shortId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 10)}…`;
}

const ordinal = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;

/** "n2's 3rd write" for a dot (its actor is `node@life`; a one-write actor is a one-off write). */
export function writeName(dot: { readonly actor: string; readonly counter: number }): string {
  if (isOneWriteActor(dot.actor)) return 'a one-off write';
  const at = dot.actor.lastIndexOf('@');
  return `${at < 0 ? dot.actor : dot.actor.slice(0, at)}'s ${ordinal(dot.counter)} write`;
}

/** True when clock `a` has seen every write `b` has seen (a descends from b). */
export function covers(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  return Object.entries(b).every(([actor, counter]) => (a[actor] ?? 0) >= counter);
}

/**
 * One line on how two versions' clocks relate, for the replica table: "neither has seen the other's write:
 * n2's 3rd write vs n4's 1st write" when they are concurrent (neither clock covers the other).
 */
export function relation(a: { readonly clock: Readonly<Record<string, number>>; readonly dot?: { readonly actor: string; readonly counter: number } },
  b: { readonly clock: Readonly<Record<string, number>>; readonly dot?: { readonly actor: string; readonly counter: number } }): string {
  const name = (v: typeof a) => (v.dot ? writeName(v.dot) : clock(v.clock));
  const ab = covers(a.clock, b.clock);
  const ba = covers(b.clock, a.clock);
  if (ab && ba) return 'the same version';
  if (ab) return `${name(a)} has seen ${name(b)}: it replaces it`;
  if (ba) return `${name(b)} has seen ${name(a)}: it replaces it`;
  return `neither has seen the other's write: ${name(a)} vs ${name(b)}`;
}
