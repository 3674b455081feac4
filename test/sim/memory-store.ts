/**
 * The in-memory twin of the browser's IndexedDB store (src/runtime/idb-store): it applies a step's
 * StoreRecords in order, answers `load` effects (a key's versions, or its hinted versions for one owner),
 * and rebuilds the StoredState a restarted node starts from. The simulator keeps it across a crash and
 * replaces it with an empty one for a restart with wiped storage.
 */
import type { MemberView, StoreRecord, StoredState } from '../../src/core/node-io.js';
import type { ClusterConfig, NodeId, Version } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';

export class MemoryStore {
  private epoch: number | undefined;
  private readonly versions = new Map<string, Map<string, Version>>();
  private readonly hints = new Map<string, Map<string, Version>>();
  private members: readonly MemberView[] | undefined;
  private config: ClusterConfig | undefined;
  private configVersion = 0;
  private configBy = '';
  /** Digests a test marked corrupt: load leaves them out and counts them, as the real store does. */
  readonly corrupt = new Set<string>();

  apply(records: readonly StoreRecord[]): void {
    for (const r of records) {
      switch (r.kind) {
        case 'put-version':
          this.slot(this.versions, r.key).set(r.version.digest, r.version);
          break;
        case 'drop-version':
          this.versions.get(r.key)?.delete(r.digest);
          if (this.versions.get(r.key)?.size === 0) this.versions.delete(r.key);
          break;
        case 'put-hint':
          this.slot(this.hints, hintKey(r.owner, r.key)).set(r.version.digest, r.version);
          break;
        case 'drop-hint':
          this.hints.get(hintKey(r.owner, r.key))?.delete(r.digest);
          if (this.hints.get(hintKey(r.owner, r.key))?.size === 0) this.hints.delete(hintKey(r.owner, r.key));
          break;
        case 'epoch':
          this.epoch = r.epoch;
          break;
        case 'membership':
          this.members = r.members;
          this.config = r.config;
          this.configVersion = r.configVersion ?? 0;
          this.configBy = r.configBy ?? '';
          break;
        default:
          throw new Error(`memory-store: unknown record ${JSON.stringify(r satisfies never)}`);
      }
    }
  }

  private slot(map: Map<string, Map<string, Version>>, key: string): Map<string, Version> {
    let m = map.get(key);
    if (m === undefined) {
      m = new Map();
      map.set(key, m);
    }
    return m;
  }

  /** What a `load` effect returns: intact versions, and how many failed their integrity check. */
  load(key: string, hintFor?: NodeId): { versions: Version[]; corrupt: number } {
    const held = [...((hintFor === undefined ? this.versions.get(key) : this.hints.get(hintKey(hintFor, key)))?.values() ?? [])];
    const versions = held.filter((v) => !this.corrupt.has(v.digest) && version.verify(v));
    return { versions, corrupt: held.length - versions.length };
  }

  stored(): StoredState {
    const versions: { key: string; version: Version }[] = [];
    for (const [key, byDigest] of this.versions) for (const v of byDigest.values()) if (!this.corrupt.has(v.digest)) versions.push({ key, version: v });
    const hints: { owner: NodeId; key: string; version: Version }[] = [];
    for (const [k, byDigest] of this.hints) {
      const [owner, key] = splitHintKey(k);
      for (const v of byDigest.values()) hints.push({ owner, key, version: v });
    }
    return { epoch: this.epoch, versions, hints, ...(this.members ? { members: this.members } : {}), ...(this.config ? { config: this.config, configVersion: this.configVersion, configBy: this.configBy } : {}) };
  }

  /** Every version of every key (for the checker). */
  allVersions(): ReadonlyMap<string, ReadonlyMap<string, Version>> {
    return this.versions;
  }

  hintCount(): number {
    let n = 0;
    for (const m of this.hints.values()) n += m.size;
    return n;
  }
}

function hintKey(owner: NodeId, key: string): string {
  return `${owner}\u0000${key}`;
}

function splitHintKey(k: string): [NodeId, string] {
  const at = k.indexOf('\u0000');
  return [k.slice(0, at), k.slice(at + 1)];
}
