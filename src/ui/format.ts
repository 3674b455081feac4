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
 * Twelve clearly distinct colors for the dark theme (no yellow: the ring uses it for the key probe; no
 * grey: it reads as "unreachable").
 */
export const palette: readonly string[] = [
  '#4e9af1', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2',
  '#ff9da7', '#9c755f', '#a0cbe8', '#8cd17d', '#d37295', '#7b86e0',
];

/**
 * The seed of the color hash, chosen once so that the server's default names n1 ... n12 take twelve
 * different palette entries (any other id still gets a stable color, possibly shared).
 */
const colorSeed = (0x811c9dc5 + 6955) >>> 0;

/**
 * A node's color from its id alone: a hash of the id picks a palette entry. Pure, so every tab paints a
 * node the same way, and a join or leave never repaints the others (a color by sort position would).
 */
export function nodeColor(id: string): string {
  return palette[fnv1a(id, colorSeed) % palette.length] as string;
}

/** The color function of a snapshot (kept for the views' call sites: colors no longer depend on the members). */
export function colorsOf(_snapshot?: unknown): (id: string) => string {
  return nodeColor;
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
