/**
 * Where a B1 put's time goes, hop by hop (`npm run bench -- --only B1` prints the summary; this module only
 * records and attributes). Every tab gets an init script that stamps, on one wall clock
 * (performance.timeOrigin + performance.now(), shared by the tabs of one machine):
 * - each data-channel send and each message event delivered to the page,
 * - each IndexedDB transaction from creation to `complete` (writes and reads apart).
 * For each put (one in flight), every instant between its start and its end is attributed by what is
 * outstanding then, in this order: an IndexedDB write in some tab ("disk"), else a message sent and not yet
 * delivered ("wire"), else neither: some tab's main thread runs (our code, the codec, the browser's own
 * JavaScript work such as structured clone) or waits to be scheduled ("tabs").
 */
export const timelineScript = `(() => {
  const events = [];
  const now = () => performance.timeOrigin + performance.now();
  Object.defineProperty(window, '__benchTimeline', { value: { events, on: false } });
  const rec = (kind, id) => { if (window.__benchTimeline.on) events.push(id === undefined ? [kind, now()] : [kind, now(), id]); };
  let txIds = 0;
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) { rec('send'); return send.call(this, data); };
  const desc = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    configurable: true, get() { return desc.get.call(this); },
    set(fn) { desc.set.call(this, fn === null ? null : function (e) { rec('recv'); return fn.call(this, e); }); },
  });
  const add = RTCDataChannel.prototype.addEventListener;
  RTCDataChannel.prototype.addEventListener = function (type, fn, opts) {
    if (type !== 'message' || typeof fn !== 'function') return add.call(this, type, fn, opts);
    return add.call(this, type, function (e) { rec('recv'); return fn.call(this, e); }, opts);
  };
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, options) {
    const tx = transaction.call(this, stores, mode, options);
    const id = ++txIds;
    rec(mode === 'readwrite' ? 'tx-start' : 'read-start', id);
    const done = () => rec(mode === 'readwrite' ? 'tx-done' : 'read-done', id);
    tx.addEventListener('complete', done);
    tx.addEventListener('abort', done);
    return tx;
  };
})();`;

export type TimelineEvent = readonly [kind: 'send' | 'recv' | 'tx-start' | 'tx-done' | 'read-start' | 'read-done', atMs: number, txId?: number];

export interface Attribution { disk: number; wire: number; tabs: number; total: number }

/** Splits [start, end] by what is outstanding at each instant (module comment). */
export function attribute(start: number, end: number, events: readonly TimelineEvent[], before: { txOpen: number; inFlight: number }): Attribution {
  const sorted = events.filter((e) => e[1] >= start && e[1] <= end).sort((a, b) => a[1] - b[1]);
  let txOpen = before.txOpen;
  let inFlight = before.inFlight;
  let t = start;
  const out: Attribution = { disk: 0, wire: 0, tabs: 0, total: end - start };
  const account = (until: number) => {
    const dt = until - t;
    if (dt <= 0) return;
    if (txOpen > 0) out.disk += dt;
    else if (inFlight > 0) out.wire += dt;
    else out.tabs += dt;
    t = until;
  };
  for (const [kind, at] of sorted) {
    account(at);
    if (kind === 'tx-start' || kind === 'read-start') txOpen++;
    else if (kind === 'tx-done' || kind === 'read-done') txOpen = Math.max(0, txOpen - 1);
    else if (kind === 'send') inFlight++;
    else inFlight = Math.max(0, inFlight - 1);
  }
  account(end);
  return out;
}

/** Durations (ms) of one tab's transactions of one kind ('tx' for writes, 'read'), from its events. */
export function transactionMs(events: readonly TimelineEvent[], kind: 'tx' | 'read'): number[] {
  const started = new Map<number, number>();
  const out: number[] = [];
  for (const [k, at, id] of events) {
    if (id === undefined) continue;
    if (k === `${kind}-start`) started.set(id, at);
    else if (k === `${kind}-done` && started.has(id)) out.push(at - (started.get(id) as number));
  }
  return out;
}
