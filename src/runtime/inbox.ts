/**
 * Where peer messages enter the loop (runtime.ts): bytes are decoded (malformed ones dropped and counted),
 * held while the room's time is slowed (slow-motion.ts: each message spends its flight time there), then
 * queued as bounded external inputs. A full waiting room or queue drops the message and counts it.
 */
import type { Message } from '../core/messages.js';
import type { NodeId } from '../core/types.js';
import type { InputQueue } from './input-queue.js';
import type { MutableCounters, WireCodec } from './runtime-types.js';
import type { SlowMotion } from './slow-motion.js';

export type HeldMessage = { readonly from: NodeId; readonly message: Message };

export interface InboxParts {
  readonly codec: WireCodec;
  readonly counters: MutableCounters;
  readonly slow: SlowMotion<HeldMessage>;
  readonly queue: InputQueue;
  /** Records an error line in the trace and tells the view. */
  readonly malformed: (text: string) => void;
  /** Steps what was queued. */
  readonly pump: () => void;
}

export interface Inbox {
  receive(from: NodeId, bytes: Uint8Array): void;
  /** Admits the held messages whose flight has ended, oldest first. */
  releaseDue(): void;
}

export function createInbox(parts: InboxParts): Inbox {
  const { codec, counters, slow, queue } = parts;
  const drop = () => {
    counters.inputsRefused++;
    counters.messagesDropped++;
  };
  const admit = (from: NodeId, message: Message) => {
    if (!queue.pushExternal({ type: 'message', from, message })) return drop();
    parts.pump();
  };
  return {
    receive(from, bytes) {
      const decoded = codec.decode(bytes);
      if (!decoded.ok) {
        counters.malformedMessages++;
        counters.messagesDropped++;
        parts.malformed(`dropped a malformed message from ${from}: ${decoded.reason}`);
        return;
      }
      counters.messagesReceived++;
      const held = slow.hold({ from, message: decoded.value });
      if (held === 'full') drop();
      else if (held === 'now') admit(from, decoded.value);
    },
    releaseDue() {
      for (const { from, message } of slow.due()) admit(from, message);
    },
  };
}
