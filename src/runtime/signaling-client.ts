/**
 * The client side of the signaling protocol (src/protocol/signaling.ts), for the browser and for Node (pass
 * the `ws` package's WebSocket as WebSocketImpl).
 *
 * - Says hello with its node id (or none: the server then hands out the first free `nN`, kept for every
 *   reconnection), its secret and, when it has one, the teacher token, on every (re)connection; then keeps
 *   the room's presence (a chunked list, then join/leave deltas), fault rules, time and stamped config.
 * - Reconnects when the socket closes, with exponential backoff and jitter (250 ms doubling, capped at 5 s),
 *   reset after a successful hello. Except after 4409 (another tab holds the id) or 4410 (this tab's own
 *   newer connection replaced this one): fighting either would loop, so this client stays closed.
 * - While disconnected, presence() keeps the last list the server sent (the peers' data channels usually
 *   outlive a signaling outage); it is replaced by the server's fresh list on reconnection.
 * - signal() and publishFaults() return false when the socket is not open or the message is invalid; nothing
 *   is queued (the transport retries with its own backoff).
 */
import * as faults from '../protocol/faults.js';
import type * as projector from '../protocol/projector.js';
import * as roomConfig from '../protocol/room-config.js';
import * as protocol from '../protocol/signaling.js';
import * as timeControl from '../protocol/time-control.js';

export type SignalingState = 'connecting' | 'open' | 'closed';

export interface SignalingClient {
  readonly state: SignalingState;
  /** Called on every state change; `detail` says why when the socket closed. */
  onState(handler: (state: SignalingState, detail: string) => void): void;
  /** The id the server confirmed (welcome), else the one this client asks for (undefined: the server names it). */
  nodeId(): string | undefined;
  /** This socket's authority as the server granted it; undefined before the first welcome. */
  role(): protocol.Role | undefined;
  /** Called on every welcome (each (re)connection) with the confirmed id and role. */
  onWelcome(handler: (nodeId: string, role: protocol.Role) => void): void;
  /** Called when the server refuses a command (e.g. fault rules from a student), with its reason. */
  onRefused(handler: (reason: string, command: protocol.Command) => void): void;
  /** Every member of the room (this node included), sorted, as last reported by the server. */
  presence(): readonly string[];
  onPresence(handler: (ids: readonly string[]) => void): void;
  /** Relays a SignalPayload to a member of the room; false if not open or `data` is not a valid payload. */
  signal(to: string, data: unknown): boolean;
  onSignal(handler: (from: string, data: protocol.SignalPayload) => void): void;
  /** The room's current fault rules (noFaults until the server says otherwise). */
  faults(): faults.FaultRules;
  /** Sets the room's fault rules; every member (this one included) gets them through onFaults. */
  publishFaults(rules: faults.FaultRules): boolean;
  onFaults(handler: (rules: faults.FaultRules) => void): void;
  /** The room's time setting (normal until the server says otherwise). */
  time(): timeControl.TimeSetting;
  /** Sets the room's time (teacher only); every member and observer gets it through onTime. */
  publishTime(setting: timeControl.TimeSetting): boolean;
  onTime(handler: (setting: timeControl.TimeSetting) => void): void;
  /** The room's stamped cluster config as the server last said (undefined: none yet, or not yet told). */
  config(): roomConfig.ConfigStamp | undefined;
  /** Proposes a config (teacher only; the server refuses one not ordering after the room's); false if not sent. */
  publishConfig(stamp: roomConfig.ConfigStamp): boolean;
  /** Every config frame: the greeting after each welcome (undefined: the room has none) and each change. */
  onConfig(handler: (stamp: roomConfig.ConfigStamp | undefined) => void): void;
  /** Removes a member everywhere (teacher only); every member gets it through onRemoval. */
  publishRemoval(id: string): boolean;
  onRemoval(handler: (id: string) => void): void;
  /** A member's status and message record for the room's observers; false if not open or too big. */
  publishEvents(frame: projector.EventsFrame): boolean;
  /** An observer's view of each member's frames. */
  onEvents(handler: (from: string, frame: projector.EventsFrame) => void): void;
  /** Closes for good: no more reconnections. */
  close(): void;
}

export interface SignalingClientOptions {
  /** The signaling endpoint, e.g. ws://host:8080/signal (see signalUrlFor). */
  readonly url: string;
  readonly room: string;
  /** Omitted: the server names this node (first free `nN`). */
  readonly nodeId?: string;
  /** Binds the id to this client while its socket holds it; a fresh 128-bit one when omitted. */
  readonly secret?: string;
  /** The teacher token (from the teacher link); without it this client is a student. */
  readonly teacherToken?: string;
  /** An observer (the projector view): not a member, holds no id, receives the members' events. */
  readonly observe?: boolean;
  readonly WebSocketImpl?: typeof WebSocket;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** In [0, 1); Math.random by default. */
  readonly random?: () => number;
}

/** The signaling endpoint of the server that served a page: http://h:p/x -> ws://h:p/signal. */
export function signalUrlFor(pageUrl: string): string {
  const u = new URL(pageUrl);
  return `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}${protocol.signalPath}`;
}

export function createSignalingClient(opts: SignalingClientOptions): SignalingClient {
  if (opts.nodeId !== undefined && !protocol.isNodeId(opts.nodeId)) throw new Error(`signaling: invalid node id ${JSON.stringify(opts.nodeId)}`);
  if (opts.secret !== undefined && !protocol.isSecret(opts.secret)) throw new Error('signaling: invalid secret');
  if (opts.teacherToken !== undefined && !protocol.isTeacherToken(opts.teacherToken)) throw new Error('signaling: invalid teacher token');
  const secret = opts.secret ?? newSecret();
  if (!protocol.isNodeId(opts.room)) throw new Error(`signaling: invalid room id ${JSON.stringify(opts.room)}`);
  const Impl = opts.WebSocketImpl ?? globalThis.WebSocket;
  const backoff = opts.backoff ?? { initialMs: 250, maxMs: 5000 };
  const random = opts.random ?? Math.random;
  const endpoint = `${opts.url}?room=${encodeURIComponent(opts.room)}`;
  const handlers = {
    state: [] as Array<(s: SignalingState, detail: string) => void>,
    presence: [] as Array<(ids: readonly string[]) => void>,
    signal: [] as Array<(from: string, data: protocol.SignalPayload) => void>,
    faults: [] as Array<(rules: faults.FaultRules) => void>,
    welcome: [] as Array<(nodeId: string, role: protocol.Role) => void>,
    time: [] as Array<(setting: timeControl.TimeSetting) => void>,
    events: [] as Array<(from: string, frame: projector.EventsFrame) => void>,
    refused: [] as Array<(reason: string, command: protocol.Command) => void>,
    config: [] as Array<(stamp: roomConfig.ConfigStamp | undefined) => void>,
    removal: [] as Array<(id: string) => void>,
  };
  let nodeId = opts.nodeId;
  let role: protocol.Role | undefined;
  /** Presence chunks received since the last welcome, until the one marked `last`. */
  let pending: string[] = [];
  let state: SignalingState = 'connecting';
  let members: readonly string[] = [];
  let rules: faults.FaultRules = faults.noFaults;
  let time: timeControl.TimeSetting = timeControl.normalTime;
  let config: roomConfig.ConfigStamp | undefined;
  let socket: WebSocket | undefined;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  /** Socket errors seen (each is followed by a close and a retry); shown in state details. */
  let errors = 0;

  function setState(next: SignalingState, detail: string): void {
    if (next === state) return;
    state = next;
    for (const h of handlers.state) h(next, detail);
  }

  function connect(): void {
    retryTimer = undefined;
    const ws = new Impl(endpoint);
    socket = ws;
    const hello: protocol.Hello = {
      type: 'hello', secret,
      ...(nodeId !== undefined ? { nodeId } : {}),
      ...(opts.teacherToken !== undefined ? { teacher: opts.teacherToken } : {}),
      ...(opts.observe === true ? { observe: true as const } : {}),
    };
    ws.onopen = () => ws.send(JSON.stringify(hello satisfies protocol.ClientMessage));
    ws.onmessage = (ev: MessageEvent) => {
      if (socket !== ws) return;
      const parsed = typeof ev.data === 'string' ? protocol.parseServerMessage(ev.data) : undefined;
      if (parsed?.ok !== true) {
        // The server is trusted to be well-formed; a bad frame means a version mismatch: start afresh.
        ws.close(protocol.closeCodes.badMessage, `client: ${parsed?.reason ?? 'binary frame'}`.slice(0, 120));
        return;
      }
      onServerMessage(parsed.value);
    };
    // A failed connection fires 'error' then 'close'; the close handler retries. (Node's `ws` also throws
    // on an 'error' nobody listens to, so this listener must exist.)
    ws.onerror = () => {
      if (socket === ws) errors += 1;
    };
    ws.onclose = (ev: CloseEvent) => {
      if (socket !== ws) return;
      socket = undefined;
      const detail = `socket closed: ${ev.code}${ev.reason ? ` ${ev.reason}` : ''} (${errors} socket errors so far)`;
      if (stopped || ev.code === protocol.closeCodes.replaced || ev.code === protocol.closeCodes.idInUse) {
        stopped = true;
        setState('closed', detail);
        return;
      }
      setState('connecting', detail);
      const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt) * (0.5 + random() / 2);
      attempt += 1;
      retryTimer = setTimeout(connect, delayMs);
    };
  }

  function onServerMessage(m: protocol.ServerMessage): void {
    switch (m.type) {
      case 'welcome':
        nodeId = m.nodeId;
        role = m.role;
        pending = [];
        for (const h of handlers.welcome) h(m.nodeId, m.role);
        return;
      case 'presence':
        pending.push(...m.members);
        if (!m.last) return;
        attempt = 0;
        members = [...pending].sort();
        pending = [];
        setState('open', 'joined');
        for (const h of handlers.presence) h(members);
        return;
      case 'join':
      case 'leave':
        members = m.type === 'join' ? [...members.filter((id) => id !== m.id), m.id].sort() : members.filter((id) => id !== m.id);
        for (const h of handlers.presence) h(members);
        return;
      case 'refused':
        for (const h of handlers.refused) h(m.reason, m.command);
        return;
      case 'config':
        config = m.stamp ?? undefined;
        for (const h of handlers.config) h(config);
        return;
      case 'removal':
        for (const h of handlers.removal) h(m.id);
        return;
      case 'signal':
        for (const h of handlers.signal) h(m.from, m.data);
        return;
      case 'faults':
        rules = m.rules;
        for (const h of handlers.faults) h(rules);
        return;
      case 'time':
        time = m.setting;
        for (const h of handlers.time) h(time);
        return;
      case 'events': {
        const { status, events, dropped } = m;
        for (const h of handlers.events) h(m.from, { status, events, dropped });
        return;
      }
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  function sendFrame(message: protocol.ClientMessage): boolean {
    if (state !== 'open' || socket === undefined || socket.readyState !== Impl.OPEN) return false;
    const text = JSON.stringify(message);
    if (protocol.frameBytes(text) > protocol.frameBytesMax) return false;
    socket.send(text);
    return true;
  }

  connect();
  return {
    get state() { return state; },
    nodeId: () => nodeId,
    role: () => role,
    onWelcome: (h) => void handlers.welcome.push(h),
    onRefused: (h) => void handlers.refused.push(h),
    onState: (h) => void handlers.state.push(h),
    presence: () => members,
    onPresence: (h) => void handlers.presence.push(h),
    signal(to, data) {
      const payload = protocol.validatePayload(data);
      return payload.ok && protocol.isNodeId(to) && sendFrame({ type: 'signal', to, data: payload.value });
    },
    onSignal: (h) => void handlers.signal.push(h),
    faults: () => rules,
    publishFaults(next) {
      const checked = faults.validate(next);
      return checked.ok && sendFrame({ type: 'faults', rules: checked.rules });
    },
    onFaults: (h) => void handlers.faults.push(h),
    time: () => time,
    publishTime(next) {
      const checked = timeControl.validate(next);
      return checked.ok && sendFrame({ type: 'time', setting: checked.setting });
    },
    onTime: (h) => void handlers.time.push(h),
    config: () => config,
    publishConfig(stamp) {
      const checked = roomConfig.validate(stamp);
      return checked.ok && sendFrame({ type: 'config', stamp: checked.value });
    },
    onConfig: (h) => void handlers.config.push(h),
    publishRemoval: (id) => protocol.isNodeId(id) && sendFrame({ type: 'remove', id }),
    onRemoval: (h) => void handlers.removal.push(h),
    publishEvents: (frame) => sendFrame({ type: 'events', ...frame }),
    onEvents: (h) => void handlers.events.push(h),
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      const ws = socket;
      socket = undefined;
      ws?.close(protocol.closeCodes.normal, 'client closed');
      setState('closed', 'closed by this client');
    },
  };
}

/** 128 random bits as 32 hex characters (crypto.getRandomValues: browsers, also over plain http, and Node). */
export function newSecret(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}
