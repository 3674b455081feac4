/**
 * Room-wide commands between the core and the signaling server (issue 11; core/config-change.ts and
 * core/removal.ts say what the core does with them): the core's `authorize` effects go to the server as
 * teacher-only `config` and `remove` frames; the server's stamped configs (its greeting after each hello
 * included) and removals, and its refusals of this node's commands, go back to the core as host inputs.
 * A teacher's tab also re-asserts the room's config after a signaling restart (config-keeper.ts).
 */
import type { NodeSnapshot } from '../core/snapshot.js';
import { defaultRemoveAfterSeconds, type RoomCommand } from '../core/types.js';
import { keepConfig } from './config-keeper.js';
import type { Runtime } from './runtime-types.js';
import type { SignalingClient } from './signaling-client.js';

type Signaling = Pick<SignalingClient, 'publishConfig' | 'publishRemoval' | 'config' | 'onConfig' | 'onRemoval' | 'onRefused' | 'onWelcome' | 'role'>;

/** Sends a command of the core to the server: undefined once sent, or why not (runtime-types.ts `authorize`). */
export function authorize(signaling: Signaling, command: RoomCommand): string | undefined {
  const sent = command.kind === 'configure'
    ? signaling.publishConfig({ version: command.version, by: command.by, config: command.config })
    : signaling.publishRemoval(command.id);
  return sent ? undefined : 'the signaling server, which must stamp every room-wide command, is not connected: try again';
}

/** Feeds the server's stamps and refusals to the node, from now on and the config it already told. */
export function feed(signaling: Signaling, node: Pick<Runtime<NodeSnapshot>, 'hostInput' | 'view'>): void {
  const stamped = (stamp: ReturnType<Signaling['config']>) => {
    if (stamp !== undefined) node.hostInput({ type: 'stamped', command: { kind: 'configure', ...stamp } });
  };
  signaling.onConfig(stamped);
  stamped(signaling.config());
  signaling.onRemoval((id) => node.hostInput({ type: 'stamped', command: { kind: 'remove', id } }));
  signaling.onRefused((reason, command) => {
    if (command === 'config' || command === 'remove') node.hostInput({ type: 'refused', command: command === 'config' ? 'configure' : 'remove', reason });
  });
  keepConfig(signaling, () => {
    const { configVersion: version, configBy: by, config } = node.view().node;
    return version > 0 ? { version, by, config: { ...config, removeAfterSeconds: config.removeAfterSeconds ?? defaultRemoveAfterSeconds } } : undefined;
  });
}
