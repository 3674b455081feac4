/**
 * The headless peer's command line, parsed without side effects (so it is tested by table):
 *   --server http://HOST:8080  the signaling server (the address tabs open)      required
 *   --room R                   the room to join                                    default "default"
 *   --node p1                  this node's id, unique in the room                  required
 *   --data DIR                 where LevelDB and the node's identity live          required
 *   --capacity W               capacity weight (share of partitions)               default 1
 *   --host H                   host id (replicas prefer distinct hosts)            default peer-<hostname>
 *   --ice URLS                 comma-separated STUN/TURN URLs                      default none
 *   --status-seconds S         seconds between summary lines (0: none)             default 10
 */
import { limits } from '../core/limits.js';
import { capacityMax } from '../runtime/request-check.js';

export interface PeerArgs {
  readonly server: string;
  readonly room: string;
  readonly nodeId: string;
  readonly dataDir: string;
  readonly capacity: number;
  readonly hostId: string | undefined;
  readonly iceServers: readonly { readonly urls: string }[];
  readonly statusSeconds: number;
}

export type Parsed = { readonly ok: true; readonly args: PeerArgs } | { readonly ok: false; readonly error: string };

export const usage = 'usage: npm run peer -- --server http://HOST:8080 --node p1 --data DIR [--room R] [--capacity W] [--host H] [--ice stun:h:3478,...] [--status-seconds S]';

const idPattern = /^[A-Za-z0-9_-]+$/;
const isId = (text: string) => text.length >= 1 && text.length <= limits.idBytesMax && idPattern.test(text);
const flags = ['server', 'room', 'node', 'data', 'capacity', 'host', 'ice', 'status-seconds'] as const;
type Flag = (typeof flags)[number];

/** A host id from a machine name: `peer-` and the name's id characters (others become '-'), within idBytesMax. */
export function hostIdFor(hostname: string): string {
  const cleaned = hostname.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^-+|-+$/g, '') || 'unknown';
  return `peer-${cleaned}`.slice(0, limits.idBytesMax);
}

export function parse(argv: readonly string[]): Parsed {
  const given = new Map<Flag, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    if (name === undefined || !(flags as readonly string[]).includes(name)) return { ok: false, error: `unknown argument ${JSON.stringify(arg)}` };
    const value = inline ?? argv[++i];
    if (value === undefined) return { ok: false, error: `--${name} needs a value` };
    given.set(name as Flag, value);
  }
  const server = given.get('server');
  const nodeId = given.get('node');
  const dataDir = given.get('data');
  if (server === undefined || nodeId === undefined || dataDir === undefined) return { ok: false, error: '--server, --node and --data are required' };
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return { ok: false, error: `--server must be an address like http://HOST:8080, got ${JSON.stringify(server)}` };
  }
  if (!['http:', 'https:'].includes(url.protocol)) return { ok: false, error: `--server must be an http:// or https:// address, got ${url.protocol}` };
  const room = given.get('room') ?? 'default';
  if (!isId(nodeId)) return { ok: false, error: `--node must be 1-${limits.idBytesMax} of [A-Za-z0-9_-], got ${JSON.stringify(nodeId)}` };
  if (!isId(room)) return { ok: false, error: `--room must be 1-${limits.idBytesMax} of [A-Za-z0-9_-], got ${JSON.stringify(room)}` };
  const hostId = given.get('host');
  if (hostId !== undefined && !isId(hostId)) return { ok: false, error: `--host must be 1-${limits.idBytesMax} of [A-Za-z0-9_-]` };
  const capacity = Number(given.get('capacity') ?? '1');
  if (!(Number.isFinite(capacity) && capacity > 0 && capacity <= capacityMax)) return { ok: false, error: `--capacity must be a number in (0, ${capacityMax}]` };
  const statusSeconds = Number(given.get('status-seconds') ?? '10');
  if (!(Number.isFinite(statusSeconds) && statusSeconds >= 0)) return { ok: false, error: '--status-seconds must be a number >= 0' };
  const ice = (given.get('ice') ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  const badIce = ice.find((u) => !/^(stun|turns?):/.test(u));
  if (badIce !== undefined) return { ok: false, error: `--ice URLs must start with stun:, turn: or turns:, got ${JSON.stringify(badIce)}` };
  return {
    ok: true,
    args: { server: url.href, room, nodeId, dataDir, capacity, hostId, iceServers: ice.map((urls) => ({ urls })), statusSeconds },
  };
}
