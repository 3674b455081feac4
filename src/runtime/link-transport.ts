/**
 * The link transport: a Transport made of the link machine (link-machine.ts) and a thin driver around it.
 * The driver decides nothing: it turns the machine's effects into calls on data links (data-link.ts), the
 * signaling client and the injected clock, and their events back into machine inputs. So the whole
 * behaviour is tested on the pure machine, and this file with in-memory links under a hand-cranked clock.
 *
 * Effects are carried out strictly in the order the machine emitted them, even when carrying one out calls
 * back into the transport (a handler that sends on delivery, a link that closes as it is written to): such
 * a step runs at once, and its effects wait in line behind the ones already emitted. The line holds at most
 * the effects of the steps under way, which are bounded by the machine's own bounds.
 */
import type { NodeId } from '../core/types.js';
import type { SignalPayload } from '../protocol/signaling.js';
import { systemClock, type Clock } from './clock.js';
import type { DataLink, DataLinkFactory } from './data-link.js';
import * as linkMachine from './link-machine.js';
import type { SignalingClient } from './signaling-client.js';
import type { Transport, TransportStats } from './transport.js';

/** What the transport needs of the signaling client: presence and the relay of link signals. */
export type LinkSignaling = Pick<SignalingClient, 'state' | 'onState' | 'presence' | 'onPresence' | 'signal' | 'onSignal'>;

export interface LinkTransportOptions {
  readonly self: NodeId;
  readonly signaling: LinkSignaling;
  readonly createLink: DataLinkFactory;
  readonly clock?: Clock;
  /** In [0, 1): link names and backoff jitter. Math.random by default. */
  readonly random?: () => number;
  /** Overrides of linkMachine.defaultConfig (timeouts, attempts, queue bounds, watermarks, reassembly). */
  readonly config?: Partial<Omit<linkMachine.LinkConfig, 'self'>>;
}

export type LinkTransport = Transport & { stats(): TransportStats };

export function createLinkTransport(opts: LinkTransportOptions): LinkTransport {
  const clock = opts.clock ?? systemClock;
  const machine = linkMachine.create({ ...linkMachine.defaultConfig(opts.self), ...opts.config, self: opts.self }, opts.random ?? Math.random);
  const links = new Map<string, DataLink>();
  const timers = new Map<string, () => void>();
  const messageHandlers: ((from: NodeId, bytes: Uint8Array) => void)[] = [];
  const reachabilityHandlers: ((peer: NodeId, reachable: boolean) => void)[] = [];
  const line: linkMachine.LinkEffect[] = [];
  let carrying = false;

  const linkKey = (peer: NodeId, link: string) => `${peer}\u0000${link}`;
  const timerKey = (peer: NodeId, timer: linkMachine.TimerKind) => `${peer}\u0000${timer}`;

  /** Steps the machine and carries out its effects (after any still in line); returns them. */
  function input(event: linkMachine.LinkInput): readonly linkMachine.LinkEffect[] {
    const effects = linkMachine.step(machine, event, clock.nowMs());
    line.push(...effects);
    if (!carrying) {
      carrying = true;
      try {
        for (let effect = line.shift(); effect; effect = line.shift()) carryOut(effect);
      } finally {
        carrying = false;
      }
    }
    return effects;
  }

  function open(peer: NodeId, link: string, initiator: boolean): void {
    const key = linkKey(peer, link);
    const created = opts.createLink({ peer, link, initiator }, {
      onSignal: (signal) => void opts.signaling.signal(peer, { kind: 'rtc', link, signal } satisfies SignalPayload),
      onOpen: () => void input({ kind: 'opened', peer, link }),
      onFrame: (frame) => void input({ kind: 'frame', peer, link, frame }),
      onClose: (reason) => {
        if (links.get(key) !== created) return;
        links.delete(key);
        input({ kind: 'closed', peer, link, reason });
      },
    });
    links.set(key, created);
  }

  function carryOut(effect: linkMachine.LinkEffect): void {
    // close() called from a handler while earlier effects still wait in line: start nothing new after it.
    if (machine.closed && (effect.kind === 'dial' || effect.kind === 'ask' || effect.kind === 'accept' || effect.kind === 'setTimer' || effect.kind === 'watchDrain')) return;
    switch (effect.kind) {
      case 'dial': return open(effect.peer, effect.link, true);
      case 'accept': return open(effect.peer, effect.link, false);
      case 'ask': return void opts.signaling.signal(effect.peer, { kind: 'connect' } satisfies SignalPayload);
      case 'feed': return links.get(linkKey(effect.peer, effect.link))?.signal(effect.signal);
      case 'destroy': {
        const key = linkKey(effect.peer, effect.link);
        const link = links.get(key);
        links.delete(key);
        return link?.destroy();
      }
      case 'write': {
        const link = links.get(linkKey(effect.peer, effect.link));
        for (const frame of effect.frames) if (!link?.send(frame)) return; // the link closed: its onClose tells the machine
        return;
      }
      case 'watchDrain': {
        const link = links.get(linkKey(effect.peer, effect.link));
        if (!link) return; // destroyed meanwhile: the machine already moved on
        // Measured on a later turn, never inside this step: the machine must hear of it as a new input.
        return link.whenDrained(effect.lowBytes, () => void clock.after(0, () => {
          if (links.get(linkKey(effect.peer, effect.link)) === link) input({ kind: 'drained', peer: effect.peer, link: effect.link, bufferedBytes: link.bufferedAmount() });
        }));
      }
      case 'setTimer': {
        const key = timerKey(effect.peer, effect.timer);
        timers.get(key)?.();
        const timer = effect.timer;
        const cancel = clock.after(Math.max(0, effect.atMs - clock.nowMs()), () => {
          if (timers.get(key) !== cancel) return;
          timers.delete(key);
          input({ kind: 'timer', peer: effect.peer, timer });
        });
        timers.set(key, cancel);
        return;
      }
      case 'cancelTimer': {
        const key = timerKey(effect.peer, effect.timer);
        timers.get(key)?.();
        timers.delete(key);
        return;
      }
      case 'deliver': for (const h of messageHandlers) h(effect.peer, effect.message); return;
      case 'reachable': for (const h of reachabilityHandlers) h(effect.peer, effect.up); return;
      case 'refused': return; // send() reads it from the step's effects
      default: {
        const never: never = effect;
        return never;
      }
    }
  }

  const presence = () => void input({ kind: 'presence', peers: opts.signaling.presence(), signalingOpen: opts.signaling.state === 'open' });
  opts.signaling.onSignal((from, payload) => void input({ kind: 'signal', peer: from, payload }));
  opts.signaling.onPresence(presence);
  opts.signaling.onState(presence);
  presence();

  return {
    self: opts.self,
    send: (to, bytes) => !input({ kind: 'send', peer: to, bytes }).some((e) => e.kind === 'refused'),
    onMessage: (h) => void messageHandlers.push(h),
    onReachability: (h) => void reachabilityHandlers.push(h),
    presentPeers: () => opts.signaling.presence().filter((id) => id !== opts.self),
    connectedPeers: () => linkMachine.openPeers(machine),
    close() {
      input({ kind: 'close' });
      // The machine cancelled and destroyed everything it knew; these are leftovers of a bug, if any.
      for (const cancel of timers.values()) cancel();
      timers.clear();
      for (const link of links.values()) link.destroy();
      links.clear();
    },
    stats: () => ({
      ...machine.counts,
      messagesDropped: { ...machine.dropped },
      openChannels: linkMachine.openPeers(machine).length,
    }),
  };
}
