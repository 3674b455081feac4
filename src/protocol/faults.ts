/**
 * Fault rules: the switch a teacher pulls. A cluster-wide set of rules (partition into groups, isolated
 * nodes, cut links, a loss rate) published by a teacher's tab through the signaling server and applied by every
 * transport to every data-channel message. Pure: no time, no randomness of its own (the loss draw is passed in).
 *
 * Semantics, precisely:
 * - `groups`: a partition. Empty means no partition. Otherwise every listed node is in its group and ALL
 *   unlisted nodes together form one more group ("the rest"), so `[[a, b]]` splits {a, b} from everyone else,
 *   and a tab that joins mid-partition lands in the rest. Nodes in different groups cannot talk.
 *   A node may be listed in at most one group.
 * - `isolated`: these nodes can talk to nobody (in either direction).
 * - `cuts`: `from -> to` blocks messages sent by `from` to `to`; with `oneWay: false` also `to -> from`.
 * - `lossRate`: each message not blocked is lost with this probability, decided by the SENDER only (so the
 *   effective loss is exactly `lossRate`). Blocks are checked by both sender and receiver, so a rule holds even
 *   while it is still reaching one side.
 * A node always reaches itself.
 */
import { limits } from '../core/limits.js';

/** Largest signaling frame in bytes (re-exported by signaling.ts, which owns the wire; defined here to avoid a cycle). */
export const frameBytesMax = 8 * 1024;

/**
 * Largest rule set, in bytes of its JSON: what is left of a frame once the server wraps the rules in
 * `{"type":"faults","from":"<id of up to 64>","rules":...}` (under 100 bytes; 256 are kept). Checked at
 * validation, so a rule set that validates can always be sent, and a bigger one is refused at once with
 * this limit named (never a later "not connected").
 */
export const rulesBytesMax = frameBytesMax - 256;

export interface Cut {
  readonly from: string;
  readonly to: string;
  readonly oneWay: boolean;
}

export interface FaultRules {
  readonly groups: readonly (readonly string[])[];
  readonly isolated: readonly string[];
  readonly cuts: readonly Cut[];
  /** Probability in [0, 1] that a message is lost. */
  readonly lossRate: number;
}

export const noFaults: FaultRules = { groups: [], isolated: [], cuts: [], lossRate: 0 };

/** Why a message may not pass, or that it may. */
export type Verdict = 'deliver' | 'isolated' | 'partitioned' | 'cut' | 'lost';

const idPattern = /^[A-Za-z0-9_-]+$/;

/** True for a valid node id: [A-Za-z0-9_-]{1,limits.idBytesMax}. */
export function isNodeId(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= limits.idBytesMax && idPattern.test(v);
}

export type Validated = { readonly ok: true; readonly rules: FaultRules } | { readonly ok: false; readonly reason: string };

/** Checks untrusted data (e.g. from the network) and returns a fresh, exact copy of the rules. */
export function validate(data: unknown): Validated {
  if (!isRecord(data)) return bad('rules: expected an object');
  const unknown = Object.keys(data).find((k) => !['groups', 'isolated', 'cuts', 'lossRate'].includes(k));
  if (unknown !== undefined) return bad(`rules.${unknown}: unknown field`);
  const { groups, isolated, cuts, lossRate } = data;
  if (!Array.isArray(groups) || groups.length > limits.membersMax) return bad(`rules.groups: expected an array of at most ${limits.membersMax} groups`);
  const seen = new Set<string>();
  for (const [i, group] of groups.entries()) {
    if (!Array.isArray(group) || !group.every(isNodeId)) return bad(`rules.groups[${i}]: expected an array of node ids`);
    for (const id of group) {
      if (seen.has(id)) return bad(`rules.groups[${i}]: node ${id} is listed in more than one group`);
      seen.add(id);
    }
  }
  if (seen.size > limits.membersMax) return bad(`rules.groups: more than ${limits.membersMax} nodes`);
  if (!Array.isArray(isolated) || isolated.length > limits.membersMax || !isolated.every(isNodeId)) {
    return bad(`rules.isolated: expected an array of at most ${limits.membersMax} node ids`);
  }
  if (!Array.isArray(cuts) || cuts.length > limits.membersMax) return bad(`rules.cuts: expected an array of at most ${limits.membersMax} cuts`);
  for (const [i, cut] of cuts.entries()) {
    if (!isRecord(cut) || !isNodeId(cut.from) || !isNodeId(cut.to) || typeof cut.oneWay !== 'boolean' || Object.keys(cut).length !== 3) {
      return bad(`rules.cuts[${i}]: expected { from: node id, to: node id, oneWay: boolean }`);
    }
  }
  if (typeof lossRate !== 'number' || !Number.isFinite(lossRate) || lossRate < 0 || lossRate > 1) {
    return bad('rules.lossRate: expected a number in [0, 1]');
  }
  const rules: FaultRules = {
    groups: (groups as string[][]).map((g) => [...g]),
    isolated: [...(isolated as string[])],
    cuts: (cuts as Cut[]).map((c) => ({ from: c.from, to: c.to, oneWay: c.oneWay })),
    lossRate,
  };
  // Ids are ASCII, so the JSON's length is its size in bytes.
  const size = JSON.stringify(rules).length;
  if (size > rulesBytesMax) return bad(`rules: ${size} bytes of rules exceed the ${rulesBytesMax}-byte limit (one signaling frame); use fewer groups, cuts or isolated nodes`);
  return { ok: true, rules };
}

/** The group a node is in: its index in `groups`, or groups.length for the rest. */
function groupOf(rules: FaultRules, node: string): number {
  const i = rules.groups.findIndex((g) => g.includes(node));
  return i < 0 ? rules.groups.length : i;
}

/** Why a message from `from` to `to` is blocked by the deterministic rules, or 'deliver'. */
export function verdict(rules: FaultRules, from: string, to: string): Exclude<Verdict, 'lost'> {
  if (from === to) return 'deliver';
  if (rules.isolated.includes(from) || rules.isolated.includes(to)) return 'isolated';
  if (rules.groups.length > 0 && groupOf(rules, from) !== groupOf(rules, to)) return 'partitioned';
  const cut = rules.cuts.some((c) => (c.from === from && c.to === to) || (!c.oneWay && c.from === to && c.to === from));
  return cut ? 'cut' : 'deliver';
}

/** True when the rules forbid any message from `from` to `to`. */
export function blocks(rules: FaultRules, from: string, to: string): boolean {
  return verdict(rules, from, to) !== 'deliver';
}

/** The sender's decision for one message; `random` is a draw in [0, 1) (the runtime passes Math.random()). */
export function decide(rules: FaultRules, from: string, to: string, random: number): Verdict {
  const v = verdict(rules, from, to);
  if (v !== 'deliver' || from === to) return v;
  return random < rules.lossRate ? 'lost' : 'deliver';
}

export function isHealthy(rules: FaultRules): boolean {
  return rules.groups.length === 0 && rules.isolated.length === 0 && rules.cuts.length === 0 && rules.lossRate === 0;
}

/**
 * One line for a banner, e.g. "partitioned: {a, b} | {c, d, e} | {rest}; loss: 10%", or "no faults". Given
 * the room's members, a partition names only the groups that exist: the members in no group, sorted, in
 * place of "{rest}", and no extra group when every member is in one.
 */
export function describe(rules: FaultRules, memberIds?: readonly string[]): string {
  const parts: string[] = [];
  if (rules.groups.length > 0) {
    const grouped = new Set(rules.groups.flat());
    const rest = memberIds === undefined ? ['rest'] : memberIds.filter((id) => !grouped.has(id)).sort();
    const groups = [...rules.groups, ...(rest.length > 0 ? [rest] : [])];
    parts.push(`partitioned: ${groups.map((g) => `{${g.join(', ')}}`).join(' | ')}`);
  }
  if (rules.isolated.length > 0) parts.push(`isolated: ${rules.isolated.join(', ')}`);
  if (rules.cuts.length > 0) parts.push(`cut: ${rules.cuts.map((c) => `${c.from}${c.oneWay ? '->' : '<->'}${c.to}`).join(', ')}`);
  if (rules.lossRate > 0) parts.push(`loss: ${Math.round(rules.lossRate * 1000) / 10}%`);
  return parts.length === 0 ? 'no faults' : parts.join('; ');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(reason: string): Validated {
  return { ok: false, reason };
}
