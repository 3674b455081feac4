/**
 * In-page half of the IndexedDB transaction micro-benchmark (test/bench/idb-tx.ts). Every sample is one
 * readwrite transaction, timed from `db.transaction(...)` to its `complete` event, one at a time:
 * - `shape`: plain IndexedDB, rows of a chosen kind put into chosen stores, in a chosen transaction scope
 *   (a 100-byte Uint8Array, or our own VersionRow / MetaRow objects), so row count, store count, scope and
 *   clone size can be varied one at a time;
 * - `ours`: the real idb-store (src/browser/idb-store.ts) `apply` of StoreRecord batches.
 * `durability` is forced onto every transaction the page opens (IDBDatabase.prototype.transaction wrapped).
 */
import * as idbStore from '../../../src/browser/idb-store.js';
import { metaRow } from '../../../src/browser/idb-rows.js';
import type { StoreRecord } from '../../../src/core/node-io.js';
import type { Version } from '../../../src/core/types.js';
import * as version from '../../../src/core/version.js';

export type RowKind = 'bytes' | 'version' | 'meta' | 'true';
export type Durability = 'default' | 'relaxed' | 'strict';
export interface ShapeCase {
  readonly kind: 'shape';
  /** Stores named in the transaction's scope. */
  readonly scope: readonly string[];
  /** Per version: which row goes into which store. */
  readonly rows: readonly { readonly store: string; readonly row: RowKind }[];
}
export interface OursCase { readonly kind: 'ours' }
export interface RunArgs {
  readonly c: ShapeCase | OursCase;
  /** Versions per transaction. */
  readonly batch: number;
  readonly samples: number;
  readonly warmup: number;
  readonly durability: Durability;
  readonly valueBytes: number;
}
export interface RunResult {
  /** ms from db.transaction() to complete. */
  readonly totalMs: number[];
  /** ms spent issuing the requests (synchronous: structured clone and request set-up). */
  readonly issueMs: number[];
}

const keyed = ['versions', 'metas'];
const allStores = ['versions', 'metas', 'hints', 'meta', 'journal', 'kv1', 'kv2', 'kv3'];

let forced: Durability = 'default';
const transaction = IDBDatabase.prototype.transaction;
IDBDatabase.prototype.transaction = function (this: IDBDatabase, stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) {
  return transaction.call(this, stores, mode, mode === 'readwrite' && forced !== 'default' ? { ...options, durability: forced } : options);
} as typeof IDBDatabase.prototype.transaction;

let run = 0;
const actor = `bench@${Math.floor(Math.random() * 1e9)}`;

function versions(count: number, valueBytes: number): { key: string; v: Version }[] {
  const out: { key: string; v: Version }[] = [];
  for (let i = 0; i < count; i++) {
    const counter = ++run;
    const v = version.make({ dot: { actor, counter }, past: [{ actor: 'b1n2@987654321', counter: 3 }], value: version.stringValue('v'.repeat(valueBytes)), timestamp: Date.now() });
    out.push({ key: `key-${actor}-${counter}`, v });
  }
  return out;
}

async function openRaw(): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(`bench-idbtx-${Math.random()}`, 1);
    req.onupgradeneeded = () => {
      for (const name of allStores) {
        if (keyed.includes(name)) req.result.createObjectStore(name, { keyPath: ['key', 'digest'] });
        else req.result.createObjectStore(name);
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('indexedDB.open failed'));
  });
}

async function runShape(c: ShapeCase, a: RunArgs): Promise<RunResult> {
  const db = await openRaw();
  const bytes = new Uint8Array(a.valueBytes).fill(7);
  const out: RunResult = { totalMs: [], issueMs: [] };
  for (let i = 0; i < a.samples + a.warmup; i++) {
    const batch = versions(a.batch, a.valueBytes);
    const metas = batch.map(({ key, v }) => metaRow(key, v));
    const t0 = performance.now();
    let issued = 0;
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction([...c.scope], 'readwrite');
      batch.forEach(({ key, v }, j) => {
        for (const { store, row } of c.rows) {
          const s = tx.objectStore(store);
          if (row === 'version') s.put({ key, digest: v.digest, version: v });
          else if (row === 'meta') {
            if (keyed.includes(store)) s.put(metas[j]);
            else s.put(metas[j]?.meta, key);
          } else if (row === 'true') s.put(true, key);
          else s.put(bytes, key);
        }
      });
      issued = performance.now();
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
    });
    if (i >= a.warmup) {
      out.totalMs.push(performance.now() - t0);
      out.issueMs.push(issued - t0);
    }
  }
  const name = db.name;
  db.close();
  indexedDB.deleteDatabase(name);
  return out;
}

async function runOurs(a: RunArgs): Promise<RunResult> {
  const nodeId = `bench${Math.floor(Math.random() * 1e9)}`;
  const store = await idbStore.open({ nodeId, room: 'idbtx' });
  await store.loadAll(); // as at start-up: the checkpoint's cover is known from here on
  const out: RunResult = { totalMs: [], issueMs: [] };
  for (let i = 0; i < a.samples + a.warmup; i++) {
    const records: StoreRecord[] = versions(a.batch, a.valueBytes).map(({ key, v }) => ({ kind: 'put-version', key, version: v, wholeSet: true }));
    const t0 = performance.now();
    await store.apply(records);
    if (i >= a.warmup) out.totalMs.push(performance.now() - t0);
  }
  store.close();
  await idbStore.wipe(nodeId, 'idbtx');
  return out;
}

async function runCase(a: RunArgs): Promise<RunResult> {
  forced = a.durability;
  try {
    return a.c.kind === 'ours' ? await runOurs(a) : await runShape(a.c, a);
  } finally {
    forced = 'default';
  }
}

(window as unknown as { idbTx: unknown }).idbTx = { run: runCase };
const status = document.getElementById('status');
if (status) status.textContent = 'ready';
