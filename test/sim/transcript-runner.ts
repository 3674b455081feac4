/**
 * The interpreter of the transcripts in test/sim/transcripts/*.txt (format: datadriven.ts; commands:
 * transcripts/README.md). It drives a calm simulated cluster whose nodes run the REAL runtime loop
 * (runtime-host.ts: group commit, persist-before-send) on one global clock, and prints for each command
 * the trace lines the cluster produced meanwhile (stamped with the global tick) and the client's answer.
 * Puts and gets are recorded as a client history, so `check` judges the run by what clients saw.
 */
import type { ClientRequest, ClientResult } from '../../src/core/node-io.js';
import * as ring from '../../src/core/ring.js';
import type { NodeId } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';
import { emptyHistory, type Outcome } from '../checker/history.js';
import { convergence } from './checker.js';
import { Cluster } from './cluster.js';
import { liveStrings } from './final-state.js';
import * as views from './transcript-views.js';

/** Trace categories shown unless a `trace` command changes them (gossip chatter and drops are left out). */
const defaultCategories = ['put', 'ack', 'get', 'hint', 'handoff', 'repair', 'ae', 'replicate', 'error'];
/** A request not answered within this many ticks prints "no answer". */
const answerTicksMax = 400;
const settleTicks = 100;

/** A command line split into positional words and `name=value` options. */
interface Args {
  readonly words: string[];
  readonly opts: Map<string, string>;
}

function parseArgs(line: string): Args {
  const words: string[] = [];
  const opts = new Map<string, string>();
  for (const token of line.trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    // `cart:alice=x` is not an option: option names are plain words.
    if (eq > 0 && /^[a-z-]+$/.test(token.slice(0, eq))) opts.set(token.slice(0, eq), token.slice(eq + 1));
    else words.push(token);
  }
  return { words, opts };
}

function int(args: Args, name: string, fallback?: number): number {
  const raw = args.opts.get(name);
  if (raw === undefined) {
    if (fallback === undefined) throw new Error(`missing ${name}=<integer>`);
    return fallback;
  }
  return count(raw);
}

function count(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new Error(`${raw}: not a non-negative integer`);
  return Number(raw);
}

function word(args: Args, index: number, what: string): string {
  const w = args.words[index];
  if (w === undefined) throw new Error(`missing ${what}`);
  return w;
}

export class Transcript {
  private cluster: Cluster | undefined;
  private categories = new Set(defaultCategories);
  private showMembers = false;
  private mark = 0;
  private readonly history = emptyHistory();
  /** Contexts the client saved with `as=<name>`, and the values each covers (for the history). */
  private readonly contexts = new Map<string, { context: string; covers: readonly string[] }>();
  private lastRing: ring.Ring | undefined;
  private readonly written = new Set<string>();
  private readonly out: string[] = [];

  async interpret(line: string): Promise<string> {
    const args = parseArgs(line);
    const command = args.words.shift() as string;
    // `must=TEXT` (any command; `_` for a space): the output must hold TEXT, or the command fails, even
    // under UPDATE_TRANSCRIPTS, so a rewrite cannot bless a broken mechanism.
    const must = args.opts.get('must')?.replaceAll('_', ' ');
    args.opts.delete('must');
    this.out.length = 0;
    if (command !== 'cluster' && this.cluster === undefined) throw new Error('the first command must be `cluster`');
    const c = this.cluster as Cluster;
    switch (command) {
      case 'cluster': await this.setUp(args); break;
      case 'trace': this.setTrace(args); break;
      case 'replicas': this.print(this.replicas(word(args, 0, 'a key'))); break;
      case 'put': await this.write(args, 'put'); break;
      case 'delete': await this.write(args, 'delete'); break;
      case 'get': await this.read(args); break;
      case 'put-many': await this.putMany(args); break;
      case 'partition': this.partition(args); break;
      case 'cut': this.cut(args); break;
      case 'isolate': { const id = this.node(word(args, 0, 'a node')); c.partition([id], this.others(id)); break; }
      case 'heal': c.heal(); break;
      case 'crash': c.crash(this.node(word(args, 0, 'a node'))); break;
      case 'restart': c.restart(this.node(word(args, 0, 'a node')), { wipe: args.words.includes('wipe'), keepEpoch: args.words.includes('keep-epoch') }); break;
      case 'tick': await this.advance(count(word(args, 0, 'a number of ticks'))); break;
      case 'join': c.addNode(word(args, 0, 'a node'), { seeds: [this.node(args.opts.get('seed') ?? 'n1')] }); break;
      case 'leave': await this.request(this.node(word(args, 0, 'a node')), { op: 'leave' }); break;
      case 'node': this.print(views.node(c, this.node(word(args, 0, 'a node')))); break;
      case 'key': this.print(views.key(c, word(args, 0, 'a key'))); break;
      case 'hints': this.print(views.hints(c)); break;
      case 'ring': this.showRing(); break;
      case 'converged': this.print(convergence(c).reason); break;
      case 'replicated': this.print(views.replicated(c, this.firstRing(), this.firstConfigN(), this.written)); break;
      case 'check': this.print(views.verdict(this.history, c, this.written)); break;
      default:
        throw new Error(`unknown command "${command}" (see test/sim/transcripts/README.md)`);
    }
    // What the command set off without time passing (a restarted node reading its storage) belongs to it.
    if (this.cluster !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
    this.flush();
    const output = this.out.join('\n');
    if (must !== undefined && !output.includes(must)) throw new Error(`must=${must}: the output does not hold it:\n${output}`);
    return output;
  }

  private async setUp(args: Args): Promise<void> {
    if (this.cluster !== undefined) throw new Error('`cluster` may come only once');
    const tuning = {
      ...(args.opts.has('replica-timeout') ? { replicaTimeoutTicks: int(args, 'replica-timeout') } : {}),
      ...(args.opts.has('ae-interval') ? { antiEntropyIntervalTicks: int(args, 'ae-interval') } : {}),
    };
    const epochs = args.opts.get('epochs');
    if (epochs !== undefined && epochs !== 'max-plus-one') throw new Error(`epochs=${epochs}: only the broken control max-plus-one may be named`);
    const c = new Cluster({
      seed: int(args, 'seed'), host: 'runtime', trace: true, tuning,
      config: { n: int(args, 'n', 3), r: int(args, 'r', 2), w: int(args, 'w', 2), partitions: int(args, 'partitions', 32) },
      ...(epochs !== undefined ? { controls: { epochPolicy: epochs } } : {}),
    });
    this.cluster = c;
    const count = int(args, 'nodes');
    for (let i = 1; i <= count; i++) c.addNode(`n${i}`, { seeds: ['n1'] });
    await c.advance(settleTicks);
    // Startup gossip is noise: the transcript starts with a settled cluster.
    this.mark = c.traceLines.length;
    this.print(`${c.live().map((s) => s.id).join(' ')} up at tick ${c.now}`);
  }

  private setTrace(args: Args): void {
    for (const w of args.words) {
      if (w === 'default') { this.categories = new Set(defaultCategories); this.showMembers = false; continue; }
      const on = w.startsWith('+');
      if (!on && !w.startsWith('-')) throw new Error(`trace ${w}: write +category, -category or default`);
      const category = w.slice(1);
      if (category === 'member') this.showMembers = on;
      else if (on) this.categories.add(category);
      else this.categories.delete(category);
    }
    this.print(`shown: ${[...this.categories, ...(this.showMembers ? ['member'] : [])].join(' ')}`);
  }

  private get c(): Cluster {
    return this.cluster as Cluster;
  }

  private node(id: string): NodeId {
    if (!this.c.nodes.has(id)) throw new Error(`no node ${id} (nodes: ${[...this.c.nodes.keys()].join(' ')})`);
    return id;
  }

  private others(id: NodeId): NodeId[] {
    return [...this.c.nodes.keys()].filter((x) => x !== id);
  }

  private nodes(list: string): NodeId[] {
    return list.split(',').flatMap((x) => (x === '*' ? [] : [this.node(x)]));
  }

  /** `partition a,b | c,d` (both ways). */
  private partition(args: Args): void {
    const bar = args.words.indexOf('|');
    if (bar !== 1 || args.words.length !== 3) throw new Error('write partition a,b | c,d');
    this.c.partition(this.nodes(args.words[0] as string), this.nodes(args.words[2] as string));
  }

  /** `cut a -> b,c` (one way; `*` is every other node). */
  private cut(args: Args): void {
    if (args.words[1] !== '->' || args.words.length !== 3) throw new Error('write cut a -> b,c (or cut a -> *)');
    const from = this.nodes(args.words[0] as string);
    const to = args.words[2] === '*' ? this.others(from[0] as string) : this.nodes(args.words[2] as string);
    this.c.partition(from, to, true);
  }

  private print(line: string): void {
    this.flush();
    this.out.push(line);
  }

  /** Moves the cluster's new trace lines to the output: shown categories only, stamped with the global tick. */
  private flush(): void {
    const c = this.cluster;
    if (c === undefined) return;
    for (const line of c.traceLines.slice(this.mark)) {
      const m = /^\d+ (\S+) ([a-z-]+): (.*)$/.exec(line);
      if (m === null) continue; // NET, CRASH, RESTART: the command says it
      const [, node, category, text] = m as unknown as [string, string, string, string];
      if (category === 'member' ? !this.showMembers || text.includes('ring rebuilt') : !this.categories.has(category)) continue;
      this.out.push(`${c.now} ${node} ${category}: ${text}`);
    }
    this.mark = c.traceLines.length;
  }

  /** Advances one tick at a time, so every trace line is stamped with the global tick it happened at. */
  private async advance(ticks: number): Promise<void> {
    for (let i = 0; i < ticks; i++) {
      this.flush();
      await this.c.advance(1);
    }
  }

  private firstRing(): ring.Ring {
    const state = this.c.live()[0]?.state;
    if (state === undefined) throw new Error('no live node');
    return state.ring;
  }

  private replicas(key: string): string {
    const list = ring.preferenceListForKey(this.firstRing(), key, this.firstConfigN());
    return `${key}: replicas ${list.replicas.join(' ')}; fallbacks ${list.fallbacks.join(' ')}`;
  }

  private firstConfigN(): number {
    return this.c.live()[0]?.state?.config.n ?? 3;
  }

  /** Sends a request and advances until it is answered; prints and returns the answer. */
  private async request(at: NodeId, request: ClientRequest): Promise<ClientResult | undefined> {
    let result: ClientResult | undefined;
    this.c.request(at, request, (r) => { result = r; });
    for (let i = 0; i < answerTicksMax && result === undefined; i++) await this.advance(1);
    this.print(`= ${views.answer(result)}`);
    return result;
  }

  private contextOf(args: Args): { context?: string; covers: readonly string[] } {
    const name = args.opts.get('ctx');
    if (name === undefined) return { covers: [] };
    const saved = this.contexts.get(name);
    if (saved === undefined) throw new Error(`ctx=${name}: no context saved under that name (save one with as=${name})`);
    return saved;
  }

  private async write(args: Args, op: 'put' | 'delete'): Promise<void> {
    const at = this.node(word(args, 0, 'a node'));
    const key = word(args, 1, 'a key');
    const value = op === 'put' ? word(args, 2, 'a value') : undefined;
    const { context, covers } = this.contextOf(args);
    const w = args.opts.has('w') ? { w: int(args, 'w') } : {};
    const start = this.c.now;
    const request: ClientRequest = op === 'put'
      ? { op: 'put', key, value: version.stringValue(value as string), ...(context !== undefined ? { context } : {}), ...w }
      : { op: 'delete', key, ...(context !== undefined ? { context } : {}), ...w };
    const r = await this.request(at, request);
    this.recordWrite(op, key, value, covers, start, r);
    const as = args.opts.get('as');
    if (as !== undefined && r?.ok && 'context' in r) this.contexts.set(as, { context: r.context, covers: value === undefined ? [] : [value] });
  }

  private recordWrite(kind: 'put' | 'delete', key: string, value: string | undefined, observed: readonly string[], start: number, r: ClientResult | undefined): void {
    this.written.add(key);
    const outcome: Outcome = r === undefined ? 'indeterminate' : r.ok ? 'ok' : r.indeterminate ? 'indeterminate' : 'failed';
    this.history.ops.push({ kind, client: 'transcript', key, start, end: this.c.now, outcome, ...(value !== undefined ? { value } : {}), observed, ...(r !== undefined && !r.ok ? { error: r.error } : {}) });
  }

  private async read(args: Args): Promise<void> {
    const at = this.node(word(args, 0, 'a node'));
    const key = word(args, 1, 'a key');
    const start = this.c.now;
    const result = await this.request(at, { op: 'get', key, ...(args.opts.has('r') ? { r: int(args, 'r') } : {}) });
    if (result?.ok && result.op === 'get') {
      const live = liveStrings(result.versions.map((v) => v.value));
      this.history.ops.push({ kind: 'get', client: 'transcript', key, start, end: this.c.now, outcome: 'ok', values: live, context: result.context });
      const as = args.opts.get('as');
      if (as !== undefined) this.contexts.set(as, { context: result.context, covers: live });
      return;
    }
    this.history.ops.push({ kind: 'get', client: 'transcript', key, start, end: this.c.now, outcome: result === undefined ? 'indeterminate' : 'failed', values: [], ...(result !== undefined && !result.ok ? { error: result.error } : {}) });
  }

  /** `put-many n1 item:0..11`: one put per key (value `v-<key>`), one after the other; prints only the count. */
  private async putMany(args: Args): Promise<void> {
    const at = this.node(word(args, 0, 'a node'));
    const m = /^(.*?)(\d+)\.\.(\d+)$/.exec(word(args, 1, 'keys as <prefix><from>..<to>'));
    if (m === null) throw new Error('keys must be written <prefix><from>..<to>, e.g. item:0..11');
    const [, prefix, from, to] = m as unknown as [string, string, string, string];
    let ok = 0;
    for (let i = Number(from); i <= Number(to); i++) {
      const key = `${prefix}${i}`;
      const value = `v-${key}`;
      let result: ClientResult | undefined;
      const start = this.c.now;
      this.c.request(at, { op: 'put', key, value: version.stringValue(value) }, (r) => { result = r; });
      for (let t = 0; t < answerTicksMax && result === undefined; t++) await this.c.advance(1);
      this.recordWrite('put', key, value, [], start, result);
      if (result?.ok) ok++;
    }
    this.mark = this.c.traceLines.length; // their traces are left out
    this.out.push(`= ${ok} of ${Number(to) - Number(from) + 1} ok`);
  }

  /** The ring's size, and how many partitions changed owner since the previous `ring`. */
  private showRing(): void {
    const now = this.firstRing();
    const moved = this.lastRing === undefined ? '' : `; ${ring.ownersChanged(this.lastRing, now)} changed owner since the last ring`;
    this.lastRing = now;
    this.print(`${now.partitions} partitions over ${now.members.length} members${moved}`);
  }
}
