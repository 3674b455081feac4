/**
 * The room's stamped cluster config on the signaling wire (issue 11): a teacher's node proposes one
 * ({ version, by, config }, core/config-change.ts), the server checks the token and the order, keeps the
 * room's latest (sent to every member after its hello, like fault rules and time) and hands it to every
 * member, whose core adopts only configs stamped so. Validated in full both ways: bounded integers, a node
 * id, exactly the five settings, and the core's own check of a config (config-change.problem).
 */
import * as configChange from '../core/config-change.js';
import { limits } from '../core/limits.js';
import * as membership from '../core/membership.js';
import type { ConfigStamp } from '../core/types.js';
import { bad, exactKeys, isRecord, ok, type Parsed } from './frame-parse.js';
import { isNodeId } from './faults.js';

export type { ConfigStamp } from '../core/types.js';

const settingNames = ['n', 'r', 'w', 'partitions', 'removeAfterSeconds'] as const;

/** A stamp from JSON, or why it is refused. */
export function validate(v: unknown): Parsed<ConfigStamp> {
  if (!isRecord(v) || !exactKeys(v, ['version', 'by', 'config'])) return bad('expected { version, by, config }');
  const { version, by, config } = v;
  if (!Number.isSafeInteger(version) || (version as number) < 1 || (version as number) > limits.counterMax) return bad(`version must be an integer in 1..${limits.counterMax}`);
  if (!isNodeId(by)) return bad('by must be a node id');
  if (!isRecord(config) || !exactKeys(config, settingNames)) return bad(`config must have exactly ${settingNames.join(', ')}`);
  if (!settingNames.every((k) => Number.isSafeInteger(config[k]))) return bad('config settings must be integers');
  const c = config as Record<(typeof settingNames)[number], number>;
  const settings = { n: c.n, r: c.r, w: c.w, partitions: c.partitions, removeAfterSeconds: c.removeAfterSeconds };
  const problem = configChange.problem(settings);
  return problem === undefined ? ok({ version: version as number, by, config: settings }) : bad(`config: ${problem}`);
}

/** True when `a` orders after `b` (or `b` is none): THE order of stamps, the core's order of configs. */
export function newer(a: ConfigStamp, b: ConfigStamp | undefined): boolean {
  return b === undefined || membership.newerConfig(a, b);
}

/** How a stamp reads in logs and refusals. */
export function describe(s: ConfigStamp): string {
  const { n, r, w, partitions, removeAfterSeconds } = s.config;
  return `${JSON.stringify({ n, r, w, partitions, removeAfterSeconds })} (version ${s.version} by ${s.by})`;
}
