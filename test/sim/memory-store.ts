/**
 * The in-memory twin of the browser's IndexedDB store (src/runtime/idb-store): it applies a step's
 * StoreRecords in order, answers `load` effects (a key's versions, or its hinted versions for one owner),
 * and rebuilds the StoredState a restarted node starts from. The simulator keeps it across a crash,
 * replaces it with an empty one for a restart with wiped storage, and with an older copy of itself for a
 * restart from a stale disk. `failNextApplies` makes the next batches fail whole, as a failed IndexedDB
 * transaction does: nothing of the batch is written.
 */
import type { MemberView, StoreRecord, StoredState } from '../../src/core/node-io.js';
import type { ClusterConfig, Dot, NodeId, Version } from '../../src/core/types.js';
import * as hash from '../../src/core/hash.js';
import * as version from '../../src/core/version.js';

/** Where a string value was written: its key, its (latest) dot, and its operation id when it had one. */
export interface WrittenValue { readonly key: string; readonly dot: Dot; readonly op?: string }

export class MemoryStore {
  private epoch: number | undefined;
  private readonly versions = new Map<string, Map<string, Version>>();
  private readonly hints = new Map<string, Map<string, Version>>();
  private members: readonly MemberView[] | undefined;
  private config: ClusterConfig | undefined;
  /** Digests a test marked corrupt: load leaves them out and counts them, as the real store does. */
  readonly corrupt = new Set<string>();
  /** The next this many `apply` calls throw and write nothing (an injected storage failure). */
  failNextApplies = 0;

  /**
   * @param written the key, dot and operation id of every string value ever written to a store sharing this
   * map (the cluster's: faults.ts soleCopy finds the successors of a value by it, even once no store holds the
   * value itself). A value written twice by one operation (twins) keeps its latest dot; its op id finds
   * successors that saw either twin (dvv.sawOp).
   */
  constructor(private readonly written?: Map<string, WrittenValue>) {}

  /** Applies one batch in order, all or nothing; throws (writing nothing) when a failure was injected. */
  apply(records: readonly StoreRecord[]): void {
    if (this.failNextApplies > 0) {
      this.failNextApplies--;
      throw new Error('injected storage failure: the transaction aborted');
    }
    for (const r of records) {
      switch (r.kind) {
        case 'put-version':
          this.slot(this.versions, r.key).set(r.version.digest, r.version);
          this.remember(r.key, r.version);
          break;
        case 'drop-version':
          this.versions.get(r.key)?.delete(r.digest);
          if (this.versions.get(r.key)?.size === 0) this.versions.delete(r.key);
          break;
        case 'put-hint':
          this.slot(this.hints, hintKey(r.owner, r.key)).set(r.version.digest, r.version);
          this.remember(r.key, r.version);
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
          break;
        default:
          throw new Error(`memory-store: unknown record ${JSON.stringify(r satisfies never)}`);
      }
    }
  }

  private remember(key: string, v: Version): void {
    if (this.written !== undefined && v.value.kind === 'string') this.written.set(hash.fromUtf8(v.value.bytes), { key, dot: v.dot, ...(v.op !== undefined ? { op: v.op } : {}) });
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
    return { epoch: this.epoch, versions, hints, ...(this.members ? { members: this.members } : {}), ...(this.config ? { config: this.config } : {}) };
  }

  /** A deep copy (versions are immutable, so copying the maps suffices): a disk image to restart from later. */
  clone(): MemoryStore {
    const copy = new MemoryStore(this.written);
    copy.epoch = this.epoch;
    for (const [k, m] of this.versions) copy.versions.set(k, new Map(m));
    for (const [k, m] of this.hints) copy.hints.set(k, new Map(m));
    copy.members = this.members;
    copy.config = this.config;
    return copy;
  }

  /** Hinted versions kept for other owners, with the owner each is for. */
  allHints(): { owner: NodeId; key: string; version: Version }[] {
    return this.stored().hints.slice();
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
