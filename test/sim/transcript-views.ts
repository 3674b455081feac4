/**
 * What the transcript commands `node`, `key`, `hints`, `replicated`, `check` print, and how a client's
 * answer reads (transcript-runner.ts). Storage is read from each node's MemoryStore: what survives a reload.
 */
import type { ClientResult } from '../../src/core/node-io.js';
import * as hash from '../../src/core/hash.js';
import * as ring from '../../src/core/ring.js';
import type { NodeId } from '../../src/core/types.js';
import type { History } from '../checker/history.js';
import { check as checkValues } from '../checker/value-checker.js';
import type { Cluster } from './cluster.js';
import { finalState, liveStrings } from './final-state.js';

export function node(c: Cluster, id: NodeId): string {
  const sim = c.get(id);
  const s = sim.state;
  if (s === undefined) return `${id}: down`;
  return `${id}: epoch ${s.epoch}, life ${s.life}${s.left ? ', left' : ''}; storage holds ${sim.store.allVersions().size} key(s), ${sim.store.hintCount()} hint(s)`;
}

/** What each node's STORAGE holds of `key`: its values (tombstones as <deleted>), and hints. */
export function key(c: Cluster, k: string): string {
  const lines: string[] = [];
  for (const sim of c.nodes.values()) {
    const versions = [...(sim.store.allVersions().get(k)?.values() ?? [])];
    if (versions.length > 0) lines.push(`${sim.id}: ${versions.map((v) => (v.value.kind === 'tombstone' ? '<deleted>' : JSON.stringify(hash.fromUtf8(v.value.bytes)))).sort().join(' | ')}`);
    for (const h of sim.store.allHints().filter((x) => x.key === k)) lines.push(`${sim.id}: hint for ${h.owner}: ${JSON.stringify(liveStrings([h.version.value])[0] ?? '<deleted>')}`);
  }
  return lines.length === 0 ? `${k}: held nowhere` : lines.join('\n');
}

export function hints(c: Cluster): string {
  const lines = [...c.nodes.values()].flatMap((sim) => sim.store.allHints().map((h) => `${sim.id}: hint for ${h.owner}: ${h.key}`));
  return lines.length === 0 ? 'no hints' : lines.join('\n');
}

/** Every written key: held, one version, by each of its replicas on `r`? */
export function replicated(c: Cluster, r: ring.Ring, n: number, written: ReadonlySet<string>): string {
  const short: string[] = [];
  for (const k of written) {
    const reps = ring.preferenceListForKey(r, k, n).replicas;
    if (!reps.every((id) => (c.get(id).store.allVersions().get(k)?.size ?? 0) === 1)) short.push(k);
  }
  return `${written.size - short.length} of ${written.size} written keys have exactly one version on each replica${short.length ? `; not: ${short.join(' ')}` : ''}`;
}

/** The value checker's verdict on what the clients saw against what the replicas' storage holds. */
export function verdict(history: History, c: Cluster, written: ReadonlySet<string>): string {
  const v = checkValues(history, finalState(c, written));
  return v.ok ? `ok: ${v.writes} write(s), ${v.gets} get(s), nothing lost` : v.problems.join('\n');
}

export function answer(result: ClientResult | undefined): string {
  if (result === undefined) return 'no answer';
  if (!result.ok) return `error: ${result.error}${result.indeterminate ? ' (indeterminate)' : ''}`;
  switch (result.op) {
    case 'get':
      return `ok ${result.versions.length === 0 ? 'not found' : result.versions.map((v) => `${JSON.stringify(hash.fromUtf8(v.value.bytes))} from ${v.replicas.join(',')}`).join(' | ')}${result.warnings.length ? ` (${result.warnings.join('; ')})` : ''}`;
    case 'put':
    case 'delete':
      return `ok${result.warnings.length ? ` (${result.warnings.join('; ')})` : ''}`;
    default:
      return 'ok';
  }
}
