/**
 * Formatting for people: vector clocks, byte counts, ages, and a stable color per node id.
 * Pure functions; every output is plain text (the views bind it as text, never as markup).
 */

/**
 * `{a@7: 2, b@9: 1}` as `a:2 · b:1`, actors sorted so equal clocks always read the same. An actor's epoch
 * (after `@`) is shown only when the clock holds two epochs of one node, as `a@…1234`.
 */
export function clock(entries: Readonly<Record<string, number>>): string {
  const actors = Object.keys(entries).sort();
  if (actors.length === 0) return '(empty clock)';
  const nodeOf = (actor: string) => (actor.lastIndexOf('@') < 0 ? actor : actor.slice(0, actor.lastIndexOf('@')));
  const perNode = new Map<string, number>();
  for (const a of actors) perNode.set(nodeOf(a), (perNode.get(nodeOf(a)) ?? 0) + 1);
  const label = (a: string) => (perNode.get(nodeOf(a)) === 1 ? nodeOf(a) : `${nodeOf(a)}@…${a.slice(a.lastIndexOf('@') + 1).slice(-4)}`);
  return actors.map((actor) => `${label(actor)}:${entries[actor]}`).join(' · ');
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

/** FNV-1a over the id's UTF-16 code units: a stable 32-bit number, good enough to spread hues. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * A node's color from its id alone (the fallback when it is not among the first palette-size members):
 * hues snapped to 24 slots 15 degrees apart; saturation and lightness stay readable on the dark theme.
 */
export function nodeColor(id: string): string {
  const h = fnv1a(id);
  const hue = (h % 24) * 15;
  const lightness = 62 + ((h >>> 8) % 3) * 6;
  return `hsl(${hue} 70% ${lightness}%)`;
}

/**
 * Eight clearly distinct colors for the dark theme (Tableau-10 without its yellow, which the ring uses
 * for the key probe, and its grey), in an order where neighbours differ most.
 */
export const palette: readonly string[] = ['#4e9af1', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#ff9da7', '#9c755f'];

/**
 * Colors for a cluster: the members sorted by id take the palette in order, so every tab (which sees the
 * same member list) paints a node the same way and up to eight nodes never share a color; members past
 * the palette fall back to the hash color.
 */
export function nodeColors(memberIds: readonly string[]): (id: string) => string {
  const sorted = [...new Set(memberIds)].sort();
  const byId = new Map(sorted.slice(0, palette.length).map((id, i) => [id, palette[i] as string]));
  return (id) => byId.get(id) ?? nodeColor(id);
}

/** The color function of a snapshot's members (left members keep their color while they are listed). */
export function colorsOf(snapshot: { readonly members: readonly { readonly id: string }[] } | undefined): (id: string) => string {
  return nodeColors(snapshot?.members.map((m) => m.id) ?? []);
}

/** Node ids can be long; the views show a short, still unique-looking label. */
export function shortId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 10)}…`;
}
