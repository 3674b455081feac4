/**
 * Clients of the simulated cluster, recording a client-side history (test/checker/history.ts). Each client
 * runs one operation at a time against a random live node:
 *   - read-modify-write: get, then put a fresh unique value with the get's context;
 *   - blind put: put a fresh unique value with no context (concurrent writes make siblings);
 *   - delete: get, then delete with the context;
 *   - add-to-set: get a set key, merge all siblings by union, add a fresh element, put with the context.
 *     It fits the value model: the written text includes the fresh element, so every value is unique,
 *     and a lost add shows as a lost value (the checker needs no set rule of its own).
 * A write's `observed` values are exactly the live values of the get whose context it carries: the
 * client knows nothing else about what the context covers. A request with no answer within
 * clientTimeoutTicks is indeterminate (its node may have crashed). Times are global ticks, the clients'
 * clock: nodes have their own.
 */
import type { ClientRequest, ClientResult } from '../../src/core/node-io.js';
import type { Rng } from '../../src/core/rng.js';
import * as version from '../../src/core/version.js';
import type { History, Outcome } from '../checker/history.js';
import type { Cluster } from './cluster.js';
import { liveStrings } from './final-state.js';

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: readonly string[];
  readonly setKeys: readonly string[];
  /** Operation weights. */
  readonly mix: { readonly rmw: number; readonly blind: number; readonly del: number; readonly add: number };
  readonly clientTimeoutTicks: number;
  readonly thinkTicksMax: number;
}

export const defaultWorkload: WorkloadOptions = {
  clients: 4, keys: ['k0', 'k1', 'k2', 'k3'], setKeys: ['s0', 's1'],
  mix: { rmw: 4, blind: 1.5, del: 1, add: 3.5 }, clientTimeoutTicks: 400, thinkTicksMax: 20,
};

export function parseSet(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

export class Workload {
  private running = true;
  private seq = 0;
  /** Operations started and not yet recorded: flushed as indeterminate if the run ends first. */
  private readonly open = new Set<() => void>();

  constructor(private readonly cluster: Cluster, private readonly rng: Rng, readonly history: History, private readonly options: WorkloadOptions) {}

  start(): void {
    for (let c = 0; c < this.options.clients; c++) this.cluster.at(this.cluster.now + 1 + this.rng.int(10), () => this.next(`c${c}`));
  }

  stop(): void {
    this.running = false;
  }

  /** True when no operation is waiting for an answer. */
  idle(): boolean {
    return this.open.size === 0;
  }

  /** Records every operation still waiting as indeterminate (a client that gave up when the run ended). */
  flush(): void {
    for (const give of [...this.open]) give();
  }

  private node(): string | undefined {
    const live = this.cluster.live().filter((s) => !s.state?.leave && !s.state?.left).map((s) => s.id);
    return live.length === 0 ? undefined : this.rng.pick(live);
  }

  /** Calls the cluster with a client-side timeout: `done` gets the result or undefined, exactly once. */
  private call(request: ClientRequest, done: (result: ClientResult | undefined) => void): void {
    let settled = false;
    const settle = (result: ClientResult | undefined) => {
      if (settled) return;
      settled = true;
      this.open.delete(giveUp);
      done(result);
    };
    const giveUp = () => settle(undefined);
    this.open.add(giveUp);
    const target = this.node();
    if (target === undefined) {
      this.cluster.at(this.cluster.now + 5, giveUp);
      return;
    }
    this.cluster.request(target, request, settle);
    this.cluster.at(this.cluster.now + this.options.clientTimeoutTicks, giveUp);
  }

  private next(client: string): void {
    if (!this.running) return;
    const after = () => this.cluster.at(this.cluster.now + 1 + this.rng.int(this.options.thinkTicksMax), () => this.next(client));
    const { mix } = this.options;
    const roll = this.rng.next() * (mix.rmw + mix.blind + mix.del + mix.add);
    if (roll < mix.rmw) this.readThen(client, this.rng.pick(this.options.keys), 'rmw', after);
    else if (roll < mix.rmw + mix.blind) this.write(client, this.rng.pick(this.options.keys), 'put', `v${client}.${++this.seq}`, undefined, after);
    else if (roll < mix.rmw + mix.blind + mix.del) this.readThen(client, this.rng.pick(this.options.keys), 'del', after);
    else this.readThen(client, this.rng.pick(this.options.setKeys), 'add', after);
  }

  private readThen(client: string, key: string, then: 'rmw' | 'del' | 'add', after: () => void): void {
    const start = this.cluster.now;
    this.call({ op: 'get', key }, (result) => {
      const end = this.cluster.now;
      if (result === undefined || !result.ok || result.op !== 'get') {
        const error = result === undefined ? 'no answer within the client timeout' : result.ok ? `unexpected answer ${result.op}` : result.error;
        this.history.ops.push({ kind: 'get', client, key, start, end, outcome: outcomeOf(result), values: [], error });
        after();
        return;
      }
      const values = liveStrings(result.versions.map((v) => v.value));
      this.history.ops.push({ kind: 'get', client, key, start, end, outcome: 'ok', values, context: result.context });
      const seen = { context: result.context, values };
      if (then === 'del') this.write(client, key, 'delete', undefined, seen, after);
      else if (then === 'rmw') this.write(client, key, 'put', `v${client}.${++this.seq}`, seen, after);
      else {
        const union = new Set<string>([`e${client}.${++this.seq}`]);
        for (const v of values) for (const x of parseSet(v)) union.add(x);
        this.write(client, key, 'put', [...union].sort().join(','), seen, after);
      }
    });
  }

  private write(client: string, key: string, kind: 'put' | 'delete', value: string | undefined, seen: { context: string; values: readonly string[] } | undefined, after: () => void): void {
    const start = this.cluster.now;
    const context = seen === undefined ? {} : { context: seen.context };
    const request: ClientRequest = kind === 'put' ? { op: 'put', key, value: version.stringValue(value ?? ''), ...context } : { op: 'delete', key, ...context };
    this.call(request, (result) => {
      const error = result === undefined ? 'no answer within the client timeout' : result.ok ? undefined : result.error;
      this.history.ops.push({
        kind, client, key, start, end: this.cluster.now, outcome: outcomeOf(result),
        ...(value !== undefined ? { value } : {}), observed: seen?.values ?? [], ...(error !== undefined ? { error } : {}),
      });
      after();
    });
  }
}

function outcomeOf(result: ClientResult | undefined): Outcome {
  if (result === undefined) return 'indeterminate';
  if (result.ok) return 'ok';
  return result.indeterminate ? 'indeterminate' : 'failed';
}
