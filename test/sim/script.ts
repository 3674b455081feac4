/**
 * A small driver for scenario transcripts (raft style): each command is written as `> command`, followed
 * by the trace lines the cluster produced while it ran and the client's answer as `= ...`.
 */
import * as hash from '../../src/core/hash.js';
import type { Tuning } from '../../src/core/config.js';
import type { ClientRequest, ClientResult } from '../../src/core/node-io.js';
import * as ring from '../../src/core/ring.js';
import type { NodeId } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';
import { Cluster } from './cluster.js';

/** Trace categories worth reading in a transcript (gossip chatter and drops are left out). */
const shown = new Set(['put', 'ack', 'get', 'hint', 'handoff', 'repair', 'ae', 'member', 'replicate', 'error']);

export class Script {
  readonly cluster: Cluster;
  readonly lines: string[] = [];
  private mark = 0;
  /** Member trace lines are shown only when `showMembers` is set (startup gossip is noisy). */
  showMembers = false;

  constructor(options: { seed: number; nodes: number; tuning?: Partial<Tuning>; partitions?: number; w?: number; r?: number }) {
    this.cluster = new Cluster({ seed: options.seed, config: { n: 3, r: options.r ?? 2, w: options.w ?? 2, partitions: options.partitions ?? 32 }, tuning: options.tuning, trace: true });
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
    this.lines.push(`= ${describe(result)}`);
    return result;
  }

  put(at: NodeId, key: string, value: string, options: { context?: string; w?: number } = {}): string {
    const r = this.request(at, { op: 'put', key, value: version.stringValue(value), ...options }, `put ${key}=${value}${options.context ? ' with context' : ''}${options.w ? ` w=${options.w}` : ''}`);
    return r?.ok && 'context' in r ? r.context : '';
  }

  /** Many puts, printed as one command and one summary line (their traces are left out). */
  putMany(at: NodeId, entries: readonly [string, string][]): number {
    this.say(`put ${entries.length} keys at ${at}`);
    let ok = 0;
    for (const [key, value] of entries) {
      let result: ClientResult | undefined;
      this.cluster.request(at, { op: 'put', key, value: version.stringValue(value) }, (r) => {
        result = r;
      });
      for (let i = 0; i < 400 && result === undefined; i++) this.cluster.run(1);
      if (result?.ok) ok++;
    }
    this.mark = this.cluster.traceLines.length;
    this.lines.push(`= ${ok} ok`);
    return ok;
  }

  get(at: NodeId, key: string, r?: number): { values: string[]; context: string } {
    const result = this.request(at, { op: 'get', key, ...(r ? { r } : {}) }, `get ${key}${r ? ` r=${r}` : ''}`);
    if (result?.ok && result.op === 'get') return { values: result.versions.map((v) => hash.fromUtf8(v.value.bytes)), context: result.context };
    return { values: [], context: '' };
  }

  text(): string {
    this.flush();
    return `${this.lines.join('\n')}\n`;
  }
}

function describe(result: ClientResult | undefined): string {
  if (result === undefined) return 'no answer';
  if (!result.ok) return `error: ${result.error}${result.indeterminate ? ' (indeterminate)' : ''}`;
  switch (result.op) {
    case 'get':
      return `ok ${result.versions.length === 0 ? 'not found' : result.versions.map((v) => `${JSON.stringify(hash.fromUtf8(v.value.bytes))} from ${v.replicas.join(',')}`).join(' | ')}${result.warnings.length ? ` (${result.warnings.join('; ')})` : ''}`;
    case 'put':
    case 'delete':
      return `ok${result.warnings.length ? ` (${result.warnings.join('; ')})` : ''}`;
    case 'configure':
    case 'leave':
    case 'set-capacity':
    case 'remove':
    case 'join':
    case 'goodbye':
      return 'ok';
    default:
      return JSON.stringify(result satisfies never);
  }
}
