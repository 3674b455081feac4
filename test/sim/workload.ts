/**
 * Clients of the simulated cluster. Each runs one operation at a time against a random live node:
 *   - read-modify-write: get, then put a fresh unique value with the get's context;
 *   - blind put: put a fresh unique value with no context (concurrent writes make siblings);
 *   - delete: get, then delete with the context;
 *   - add-to-set: get a set key, merge all siblings by union, add a fresh element, put with the context,
 *     so any lost write shows as a missing element.
 * A request with no answer within clientTimeoutTicks is indeterminate (its node may have crashed).
 */
import * as hash from '../../src/core/hash.js';
import type { ClientResult } from '../../src/core/node-io.js';
import type { Rng } from '../../src/core/rng.js';
import * as dvv from '../../src/core/dvv.js';
import type { VV } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';
import type { Cluster } from './cluster.js';
import type { History, WriteRecord } from './history.js';

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

function clockOf(context: string): VV {
  const parsed = dvv.fromContext(context);
  if (!parsed.ok) throw new Error(`sim: a reply carried a bad context: ${parsed.reason}`);
  return parsed.vv;
}

export class Workload {
  private running = true;
  private seq = 0;

  constructor(private readonly cluster: Cluster, private readonly rng: Rng, readonly history: History, private readonly options: WorkloadOptions) {}

  start(): void {
    for (let c = 0; c < this.options.clients; c++) this.cluster.at(this.cluster.now + 1 + this.rng.int(10), () => this.next(c));
  }

  stop(): void {
    this.running = false;
  }

  private node(): string | undefined {
    const live = this.cluster.live().filter((s) => !s.state?.leave && !s.state?.left).map((s) => s.id);
    return live.length === 0 ? undefined : this.rng.pick(live);
  }

  /** Calls the cluster with a client-side timeout: `done` gets the result or undefined, exactly once. */
  private call(request: Parameters<Cluster['request']>[1], done: (result: ClientResult | undefined) => void): void {
    const target = this.node();
    if (target === undefined) {
      this.cluster.at(this.cluster.now + 5, () => done(undefined));
      return;
    }
    let settled = false;
    this.cluster.request(target, request, (result) => {
      if (settled) return;
      settled = true;
      done(result);
    });
    this.cluster.at(this.cluster.now + this.options.clientTimeoutTicks, () => {
      if (settled) return;
      settled = true;
      done(undefined);
    });
  }

  private next(client: number): void {
    if (!this.running) return;
    const after = () => this.cluster.at(this.cluster.now + 1 + this.rng.int(this.options.thinkTicksMax), () => this.next(client));
    const { mix } = this.options;
    const roll = this.rng.next() * (mix.rmw + mix.blind + mix.del + mix.add);
    if (roll < mix.rmw) this.readThen(client, this.rng.pick(this.options.keys), 'rmw', after);
    else if (roll < mix.rmw + mix.blind) this.write(client, this.rng.pick(this.options.keys), 'put', `v${client}.${++this.seq}`, undefined, undefined, after);
    else if (roll < mix.rmw + mix.blind + mix.del) this.readThen(client, this.rng.pick(this.options.keys), 'del', after);
    else this.readThen(client, this.rng.pick(this.options.setKeys), 'add', after);
  }

  private readThen(client: number, key: string, then: 'rmw' | 'del' | 'add', after: () => void): void {
    const startTick = this.cluster.now;
    this.call({ op: 'get', key }, (result) => {
      if (result === undefined || !result.ok || result.op !== 'get') {
        this.history.readFailures++;
        after();
        return;
      }
      const values = result.versions.map((v) => ({ value: hash.fromUtf8(v.value.bytes), clock: v.clock }));
      this.history.reads.push({ key, startTick, endTick: this.cluster.now, values, context: clockOf(result.context) });
      if (then === 'del') {
        this.write(client, key, 'delete', '', undefined, result.context, after);
        return;
      }
      if (then === 'rmw') {
        this.write(client, key, 'put', `v${client}.${++this.seq}`, undefined, result.context, after);
        return;
      }
      const element = `e${client}.${++this.seq}`;
      const union = new Set<string>([element]);
      for (const v of values) for (const x of parseSet(v.value)) union.add(x);
      this.write(client, key, 'put', [...union].sort().join(','), element, result.context, after);
    });
  }

  private write(client: number, key: string, op: 'put' | 'delete', value: string, element: string | undefined, context: string | undefined, after: () => void): void {
    const record: WriteRecord = { client, key, op, value, element, startTick: this.cluster.now, endTick: -1, outcome: 'pending', clock: undefined, error: undefined };
    this.history.writes.push(record);
    const request = op === 'put'
      ? { op, key, value: version.stringValue(value), ...(context !== undefined ? { context } : {}) } as const
      : { op, key, ...(context !== undefined ? { context } : {}) } as const;
    this.call(request, (result) => {
      record.endTick = this.cluster.now;
      if (result === undefined) record.outcome = 'indeterminate';
      else if (result.ok && (result.op === 'put' || result.op === 'delete')) {
        record.outcome = 'ok';
        record.clock = clockOf(result.context);
      } else if (!result.ok) {
        record.outcome = result.indeterminate ? 'indeterminate' : 'failed';
        record.error = result.error;
      }
      after();
    });
  }
}
