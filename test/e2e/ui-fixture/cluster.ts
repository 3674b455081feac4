/**
 * Real nodes in one page, for the UI specs: each node is the real core (src/core/node.ts) driven by the
 * real runtime loop (src/runtime/runtime.ts) with the real wire codec, over an in-memory store and the
 * in-memory transport under the room's fault rules, applied by the tabs' own decorator (fault-transport.ts).
 * Each node gets its own window.kv-like object (src/runtime/page-api.ts) and the UI adapter the app uses
 * (src/ui/runtime-backend.ts), so the UI sees exactly what a tab would. Time is the page's real clock.
 *
 * What differs from a tab: no IndexedDB, no WebRTC, no signaling socket (the fixture stands in for the
 * server's fault rules and its connection state), and a wipe restarts the node in place instead of
 * reloading the page.
 */
import * as codec from '../../../src/core/codec.js';
import { messageSchema } from '../../../src/core/messages.js';
import * as node from '../../../src/core/node.js';
import * as memoryTransport from '../../../src/runtime/memory-transport.js';
import * as pageApi from '../../../src/runtime/page-api.js';
import * as runtime from '../../../src/runtime/runtime.js';
import * as peerView from '../../../src/runtime/peer-view.js';
import * as snapshot from '../../../src/runtime/snapshot.js';
import type { SignalingState } from '../../../src/runtime/signaling-client.js';
import type { UiBackend } from '../../../src/ui/backend.js';
import { createRuntimeBackend } from '../../../src/ui/runtime-backend.js';
import { withFaults, type FaultTransport } from '../../../src/runtime/fault-transport.js';
import { countedTransport, FaultRoom, MemoryStoreAdapter } from './memory-parts.js';

type NodeSnapshot = ReturnType<typeof node.snapshot>;

const wireCodec: runtime.WireCodec = {
  encode: (message) => codec.tryEncode(messageSchema, message),
  decode: (bytes) => codec.decode(messageSchema, bytes),
};

export interface NodeSpec {
  readonly id: string;
  readonly host: string;
}

export interface FixtureNode {
  readonly id: string;
  readonly kv: pageApi.Kv;
  readonly backend: UiBackend;
  /** Stands in for this node's signaling socket state (the header shows it). */
  setSignaling(state: SignalingState, detail: string): void;
  /** True once the node is ready and sees `count` alive members. */
  settled(count: number): boolean;
}

export interface FixtureCluster {
  readonly nodes: readonly FixtureNode[];
  node(id: string): FixtureNode;
}

class PageNode implements FixtureNode {
  readonly kv: pageApi.Kv;
  readonly backend: UiBackend;
  private rt: runtime.Runtime<NodeSnapshot> | undefined;
  private transport: FaultTransport | undefined;
  /** Stops telling the current transport of the room's rules (a wipe gives the node a new transport). */
  private stopRules: (() => void) | undefined;
  private signaling: { state: SignalingState; detail: string } = { state: 'open', detail: '' };
  private phase: peerView.Phase = { kind: 'starting', step: 'loading storage' };
  private readonly publisher = snapshot.createPublisher(() => this.read());
  private readonly readyWaiters: (() => void)[] = [];

  constructor(readonly id: string, private readonly host: string, private readonly network: memoryTransport.MemoryNetwork,
    private readonly room: FaultRoom, private readonly ids: readonly string[]) {
    room.onRules(() => this.publisher.changed());
    this.kv = pageApi.create({
      nodeId: id,
      request: (request) => this.runtime().request(request),
      ready: () => new Promise<void>((resolve) => { this.readyWaiters.push(resolve); this.settleReady(); }),
      view: () => this.read(),
      faults: {
        current: () => room.rules(),
        // As the real tab: without its signaling connection it cannot change the room's rules.
        publish: (rules) => this.signaling.state === 'open' && room.publish(rules),
        onRules: (handler) => { room.onRules(handler); },
      },
      // The fixture stands for a teacher's tabs: the lessons need the room-wide controls.
      authority: () => 'teacher',
      onChange: (listener) => this.publisher.subscribe(() => listener()),
      wipe: () => this.wipe(),
    });
    this.backend = createRuntimeBackend({
      kv: this.kv, request: (request) => this.runtime().request(request), snapshot: () => this.read(),
      subscribe: (listener) => this.publisher.subscribe(listener),
    });
  }

  /** Joins the network (call for every node before any boot, so each one starts with the others as seeds). */
  attach(): void {
    this.stopRules?.();
    const transport = withFaults(countedTransport(this.network.join(this.id)), { rules: this.room.rules(), random: Math.random });
    // As a tab's transport (browser/webrtc-transport.ts): the rules change when the room echoes them.
    this.stopRules = this.room.onRules((rules) => transport.setFaults(rules));
    this.transport = transport;
  }

  /** Starts the runtime over a fresh, empty store. */
  async boot(): Promise<void> {
    const transport = this.transport;
    if (!transport) throw new Error(`fixture: ${this.id} booted before it joined the network`);
    const self = { id: this.id, host: this.host };
    this.rt = await runtime.start<NodeSnapshot>({
      nodeId: this.id, store: new MemoryStoreAdapter(), transport, codec: wireCodec,
      createNode: (init) => {
        const created = node.create({
          ...self, capacity: 1, seeds: init.seeds, now: init.now, stored: init.stored,
          rngSeed: crypto.getRandomValues(new Uint32Array(1))[0] ?? 1,
        });
        return { node: { step: (input) => node.step(created.state, input), snapshot: () => node.snapshot(created.state) }, effects: created.effects };
      },
    });
    this.phase = { kind: 'running' };
    this.rt.onChange(() => { this.publisher.changed(); this.settleReady(); });
    this.publisher.changed();
  }

  /** A disk loss: the node stops, its storage is replaced by an empty one, and it starts again (a new epoch). */
  private async wipe(): Promise<void> {
    this.rt?.close();
    this.rt = undefined;
    this.phase = { kind: 'starting', step: 'loading storage' };
    this.attach();
    await this.boot();
  }

  setSignaling(state: SignalingState, detail: string): void {
    this.signaling = { state, detail };
    this.publisher.changed();
  }

  settled(count: number): boolean {
    const view = this.rt?.view();
    return view?.node.ready === true && view.node.members.filter((m) => m.status === 'alive').length === count;
  }

  private runtime(): runtime.Runtime<NodeSnapshot> {
    if (!this.rt) throw new Error(`${this.id} is restarting`);
    return this.rt;
  }

  private settleReady(): void {
    if (this.rt?.view().node.ready) for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  /** The tab's one view, made by the tab's own builder from the fixture's parts. */
  private read(): peerView.PeerView {
    const view = this.rt?.view();
    const me = view?.node.members.find((m) => m.id === this.id);
    return peerView.build({
      identity: { nodeId: this.id, hostId: this.host, capacity: me?.capacity ?? 1, room: 'fixture', zone: 'tab' },
      phase: this.phase, runtime: view, signaling: this.signaling.state, signalingDetail: this.signaling.detail,
      presence: this.ids, connected: this.transport?.connectedPeers() ?? [], faults: this.room.rules(), transport: this.transport?.stats(),
    });
  }
}

/** Starts one real node per spec, all in one in-memory network and one fault room. */
export async function startCluster(specs: readonly NodeSpec[]): Promise<FixtureCluster> {
  const network = memoryTransport.createNetwork();
  const room = new FaultRoom();
  const ids = specs.map((s) => s.id);
  const nodes = specs.map((s) => new PageNode(s.id, s.host, network, room, ids));
  for (const n of nodes) n.attach();
  await Promise.all(nodes.map((n) => n.boot()));
  return {
    nodes,
    node(id) {
      const found = nodes.find((n) => n.id === id);
      if (!found) throw new Error(`fixture: no node ${id}`);
      return found;
    },
  };
}
