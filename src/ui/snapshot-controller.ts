/**
 * The one owner of an element's subscription to the peer's published views (a Lit ReactiveController).
 * Views may arrive many times a second; the host re-renders at most once per `minIntervalMs`
 * (the last snapshot always wins, so nothing is shown stale for longer than one interval).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend } from './backend.js';

/** At most ten renders per second from snapshots. */
export const snapshotRenderIntervalMs = 100;

export class SnapshotController implements ReactiveController {
  /** The latest view of the peer, or undefined before the first one. */
  value: PeerView | undefined;
  private backendValue: UiBackend | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastRenderMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private connected = false;

  constructor(private readonly host: ReactiveControllerHost, private readonly minIntervalMs = snapshotRenderIntervalMs) {
    host.addController(this);
  }

  get backend(): UiBackend | undefined {
    return this.backendValue;
  }

  /** Switches to another backend (or none): unsubscribes from the old one, subscribes to the new one. */
  set backend(next: UiBackend | undefined) {
    if (next === this.backendValue) return;
    this.stop();
    this.backendValue = next;
    this.value = next?.snapshot();
    if (this.connected) this.start();
    this.host.requestUpdate();
  }

  hostConnected(): void {
    this.connected = true;
    this.start();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.stop();
  }

  private start(): void {
    if (!this.backendValue || this.unsubscribe) return;
    this.unsubscribe = this.backendValue.subscribe((snapshot) => this.receive(snapshot));
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private receive(snapshot: PeerView): void {
    this.value = snapshot;
    if (this.timer !== undefined) return; // a render is already scheduled; it will show this snapshot
    const waitMs = this.lastRenderMs + this.minIntervalMs - performance.now();
    if (waitMs <= 0) {
      this.render();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, waitMs);
  }

  private render(): void {
    this.lastRenderMs = performance.now();
    this.host.requestUpdate();
  }
}
