/**
 * A small synchronous driver for scripted stories on a stepped cluster (test/unit/capacity.test.ts uses it;
 * the transcripts have their own interpreter, transcript-runner.ts): each command is written as `> command`, followed
 * by the trace lines the cluster produced while it ran and the client's answer as `= ...`. Puts and gets
 * are also recorded as a client history (test/checker/history.ts), so a scenario can be judged by the
 * value checker: `final()` reads what the replicas' storage holds.
 */
import * as hash from '../../src/core/hash.js';
import type { Tuning } from '../../src/core/config.js';
import type { ClientRequest, ClientResult } from '../../src/core/node-io.js';
import * as ring from '../../src/core/ring.js';
import type { NodeId } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';
import { emptyHistory, type Outcome } from '../checker/history.js';
import { Cluster } from './cluster.js';
import { finalState, liveStrings } from './final-state.js';
import { answer } from './transcript-views.js';

/** Trace categories worth reading in a transcript (gossip chatter and drops are left out). */
const shown = new Set(['put', 'ack', 'get', 'hint', 'handoff', 'repair', 'ae', 'member', 'replicate', 'error']);

export class Script {
  readonly cluster: Cluster;
  readonly lines: string[] = [];
  private mark = 0;
  /** Member trace lines are shown only when `showMembers` is set (startup gossip is noisy). */
  showMembers = false;
  readonly history = emptyHistory();
  /** What each context a client holds covers: a get's live values, or the value a put wrote. */
  private readonly covers = new Map<string, readonly string[]>();

  constructor(options: { seed: number; nodes: number; tuning?: Partial<Tuning>; partitions?: number; w?: number; r?: number; controls?: Readonly<Record<string, string>> }) {
    this.cluster = new Cluster({ seed: options.seed, config: { n: 3, r: options.r ?? 2, w: options.w ?? 2, partitions: options.partitions ?? 32 }, tuning: options.tuning, trace: true, ...(options.controls ? { controls: options.controls } : {}) });
    for (let i = 1; i <= options.nodes; i++) this.cluster.addNode(`n${i}`, { seeds: ['n1'] });
    this.cluster.run(100);
    this.mark = this.cluster.traceLines.length;
  }

  private flush(): void {
    for (const line of this.cluster.traceLines.slice(this.mark)) {
      const category = / ([a-z-]+): /.exec(line)?.[1];
      if (line.includes(' NET ') || line.includes(' CRASH') || line.includes(' RESTART')) continue;
      if (category === undefined || !shown.has(category)) continue;
      if (category === 'member' && (!this.showMembers || line.includes('ring rebuilt'))) continue;
      this.lines.push(`  ${line}`);
    }
    this.mark = this.cluster.traceLines.length;
  }

  say(command: string): void {
    this.flush();
    this.lines.push(`> ${command}`);
  }

  note(text: string): void {
    this.flush();
    this.lines.push(`# ${text}`);
  }

  run(ticks: number): void {
    this.cluster.run(ticks);
    this.flush();
  }

  /** The key's replicas, in preference order, as the ring of the first live node says. */
  replicasOf(key: string): NodeId[] {
    const state = this.cluster.live()[0]?.state;
    if (state === undefined) throw new Error('no live node');
    return [...ring.preferenceListForKey(state.ring, key, 3).replicas];
  }

  fallbacksOf(key: string): NodeId[] {
    const state = this.cluster.live()[0]?.state;
    if (state === undefined) throw new Error('no live node');
    return [...ring.preferenceListForKey(state.ring, key, 3).fallbacks];
  }

  /** Sends a request and runs until it is answered (at most 400 ticks); prints and returns the answer. */
  request(at: NodeId, request: ClientRequest, label: string): ClientResult | undefined {
    this.say(`${label} at ${at}`);
    let result: ClientResult | undefined;
    this.cluster.request(at, request, (r) => {
      result = r;
    });
    for (let i = 0; i < 400 && result === undefined; i++) this.cluster.run(1);
    this.flush();
    this.lines.push(`= ${answer(result)}`);
    return result;
  }

  put(at: NodeId, key: string, value: string, options: { context?: string; w?: number } = {}): string {
    const start = this.cluster.now;
    const r = this.request(at, { op: 'put', key, value: version.stringValue(value), ...options }, `put ${key}=${value}${options.context ? ' with context' : ''}${options.w ? ` w=${options.w}` : ''}`);
    this.recordPut(key, value, options.context, start, r);
    return r?.ok && 'context' in r ? r.context : '';
  }

  private recordPut(key: string, value: string, context: string | undefined, start: number, r: ClientResult | undefined): void {
    const outcome: Outcome = r === undefined ? 'indeterminate' : r.ok ? 'ok' : r.indeterminate ? 'indeterminate' : 'failed';
    const observed = context === undefined ? [] : this.covers.get(context) ?? [];
    this.history.ops.push({ kind: 'put', client: 'script', key, start, end: this.cluster.now, outcome, value, observed, ...(r !== undefined && !r.ok ? { error: r.error } : {}) });
    if (r?.ok && 'context' in r) this.covers.set(r.context, [value]);
  }

  /** What the replicas of every key the script touched hold in storage, for the value checker. */
  final(): ReturnType<typeof finalState> {
    return finalState(this.cluster, new Set(this.history.ops.map((op) => op.key)));
  }

  /** Many puts, printed as one command and one summary line (their traces are left out). */
  putMany(at: NodeId, entries: readonly [string, string][]): number {
    this.say(`put ${entries.length} keys at ${at}`);
    let ok = 0;
    for (const [key, value] of entries) {
      let result: ClientResult | undefined;
      const start = this.cluster.now;
      this.cluster.request(at, { op: 'put', key, value: version.stringValue(value) }, (r) => {
        result = r;
      });
      for (let i = 0; i < 400 && result === undefined; i++) this.cluster.run(1);
      this.recordPut(key, value, undefined, start, result);
      if (result?.ok) ok++;
    }
    this.mark = this.cluster.traceLines.length;
    this.lines.push(`= ${ok} ok`);
    return ok;
  }

  get(at: NodeId, key: string, r?: number): { values: string[]; context: string } {
    const start = this.cluster.now;
    const result = this.request(at, { op: 'get', key, ...(r ? { r } : {}) }, `get ${key}${r ? ` r=${r}` : ''}`);
    if (result?.ok && result.op === 'get') {
      const live = liveStrings(result.versions.map((v) => v.value));
      this.history.ops.push({ kind: 'get', client: 'script', key, start, end: this.cluster.now, outcome: 'ok', values: live, context: result.context });
      this.covers.set(result.context, live);
      return { values: result.versions.map((v) => hash.fromUtf8(v.value.bytes)), context: result.context };
    }
    this.history.ops.push({ kind: 'get', client: 'script', key, start, end: this.cluster.now, outcome: result === undefined ? 'indeterminate' : 'failed', values: [], ...(result !== undefined && !result.ok ? { error: result.error } : {}) });
    return { values: [], context: '' };
  }

  text(): string {
    this.flush();
    return `${this.lines.join('\n')}\n`;
  }
}
