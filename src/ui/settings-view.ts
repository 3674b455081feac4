/**
 * <settings-view>: N, R and W, cluster-wide (spread by gossip). A warning stays visible whenever
 * R + W <= N, for the settings in force and for the ones being typed. Also the room's partition count Q
 * (16-64 make a ring a class can read; changing it re-cuts the ring and anti-entropy moves the data) and
 * removeAfterSeconds: how long a node may be dead before the room removes it from the ring (0 = never).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { removeAfterSecondsMax } from '../core/types.js';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend } from './backend.js';
import { lessonTarget, theme } from './theme.js';
import * as viewFormat from './view-format.js';

type Field = 'n' | 'r' | 'w';

/** Partition counts offered (powers of two; kv.configure accepts any power of two up to 65536). */
const partitionChoices = [16, 32, 64, 128, 256];

const explain: Record<Field, string> = {
  n: 'replicas of each key',
  r: 'replies a read waits for',
  w: 'acknowledgements a write waits for',
};

@customElement('settings-view')
export class SettingsView extends LitElement {
  @property({ attribute: false }) snapshot: PeerView | undefined;
  /** The control the current lesson step points at in this view (lessons.ts ControlName), '' for none. */
  @property({ attribute: false }) highlight = '';
  @property({ attribute: false }) backend: UiBackend | undefined;
  /** What the person typed, per field; empty means "as in force". */
  @state() private draft: Partial<Record<Field, string>> = {};
  /** What the person typed for removeAfterSeconds; empty means "as in force". */
  @state() private removeDraft = '';
  @state() private message = '';
  /** The partition count picked in the select, until applied. */
  @state() private partitions: number | undefined;

  static override styles = [theme, css`
    :host { display: block; max-width: 760px; }
    .fields { display: grid; grid-template-columns: 40px 90px 1fr; gap: 10px 12px; align-items: center; margin-bottom: 14px; }
    .fields label { font-family: var(--mono); font-size: 18px; font-weight: 700; }
    input { width: 90px; font-size: 17px; }
    .warn { border: 2px solid var(--warn); color: var(--warn); border-radius: 8px; padding: 10px 14px; margin: 12px 0; min-height: 48px; }
    .fine { border: 2px solid transparent; color: var(--muted); padding: 10px 14px; margin: 12px 0; min-height: 48px; }
    .msg { min-height: 24px; }
    .partitions { margin: 12px 0; }
    .partitions label { font-weight: 700; }
  `];

  override render() {
    if (!this.snapshot) return nothing;
    const config = viewFormat.config(this.snapshot);
    const value = (f: Field) => (this.draft[f] ?? '') === '' ? config[f] : Number(this.draft[f]);
    const [n, r, w] = [value('n'), value('r'), value('w')];
    const inForce = config.r + config.w <= config.n;
    const typed = r + w <= n;
    return html`<h2>Settings (cluster-wide) <span class="muted">(teacher only)</span></h2>
      <p class="muted">In force: <span class="mono">N=${config.n} R=${config.r} W=${config.w}</span>, ${config.partitions} partitions.</p>
      <div class="fields ${lessonTarget(this.highlight, 'rw')}">
        ${(['n', 'r', 'w'] as const).map((f) => html`<label for=${f}>${f.toUpperCase()}</label>
          <input id=${f} type="number" min="1" max="9" step="1" .value=${String(value(f))}
            @input=${(e: Event) => { this.draft = { ...this.draft, [f]: (e.target as HTMLInputElement).value }; }}>
          <span class="muted">${explain[f]}</span>`)}
      </div>
      <div class="row"><button class="primary ${lessonTarget(this.highlight, 'rw')}" @click=${() => this.apply(n, r, w)}>Apply to the cluster</button>
        <button @click=${() => { this.draft = {}; }}>Reset</button></div>
      <div class=${inForce || typed ? 'warn' : 'fine'} role="status" data-testid="rw-warning">
        ${inForce ? `Warning: R + W = ${config.r + config.w} ≤ N = ${config.n}. A read need not overlap the last write: stale reads are possible.`
          : typed ? `If applied: R + W = ${r + w} ≤ N = ${n}, and stale reads become possible.`
            : `R + W = ${config.r + config.w} > N = ${config.n}: without failures, every read overlaps the last write.`}
      </div>
      <div class="row partitions">
        <label for="partitions">Partitions</label>
        <select id="partitions" aria-label="partitions" @change=${(e: Event) => { this.partitions = Number((e.target as HTMLSelectElement).value); }}>
          ${[...new Set([...partitionChoices, config.partitions])].sort((a, b) => a - b).map((q) => html`<option value=${q} ?selected=${q === (this.partitions ?? config.partitions)}>${q}</option>`)}
        </select>
        <button @click=${() => this.applyPartitions(this.partitions ?? config.partitions)}>Apply partitions</button>
        <span class="muted">16-64 suit a demo; the data moves to the new owners by itself.</span>
      </div>
      ${this.renderRemoval(config.removeAfterSeconds)}
      <div class="msg" role="status" data-testid="settings-message">${this.message}</div>`;
  }

  private async applyPartitions(partitions: number): Promise<void> {
    try {
      await this.backend?.configure({ partitions });
      this.partitions = undefined;
      this.message = `Applied ${partitions} partitions; the ring is re-cut and anti-entropy moves each key to its new replicas.`;
    } catch (error) {
      this.message = `Could not apply: ${(error as Error).message}`;
    }
  }

  private renderRemoval(inForce: number) {
    const typed = this.removeDraft === '' ? inForce : Number(this.removeDraft);
    return html`<p class="muted">Remove a node from the ring after it has been dead for
        <span class="mono" data-testid="remove-after">${inForce === 0 ? 'never (0)' : `${inForce} s`}</span>
        (its partitions move to the others; it rejoins as a new life if it comes back).</p>
      <div class="row"><label for="removeAfterSeconds">Remove after (s, 0 = never)</label>
        <input id="removeAfterSeconds" type="number" min="0" max=${removeAfterSecondsMax} step="1" .value=${String(typed)}
          @input=${(e: Event) => { this.removeDraft = (e.target as HTMLInputElement).value; }}>
        <button @click=${() => this.applyRemoval(typed)}>Apply removal delay</button></div>`;
  }

  private async applyRemoval(seconds: number): Promise<void> {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > removeAfterSecondsMax) {
      this.message = `Remove after must be a whole number of seconds from 0 to ${removeAfterSecondsMax}.`;
      return;
    }
    try {
      await this.backend?.configure({ removeAfterSeconds: seconds });
      this.removeDraft = '';
      this.message = seconds === 0 ? 'Automatic removal is off.' : `Nodes dead for ${seconds} s are now removed from the ring.`;
    } catch (error) {
      this.message = `Could not apply: ${(error as Error).message}`;
    }
  }

  private async apply(n: number, r: number, w: number): Promise<void> {
    if (![n, r, w].every((x) => Number.isInteger(x) && x >= 1)) {
      this.message = 'N, R and W must be whole numbers of at least 1.';
      return;
    }
    if (r > n || w > n) {
      this.message = 'R and W cannot exceed N.';
      return;
    }
    try {
      await this.backend?.configure({ n, r, w });
      this.draft = {};
      this.message = `Applied N=${n} R=${r} W=${w}; gossip carries it to every tab.`;
    } catch (error) {
      this.message = `Could not apply: ${(error as Error).message}`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap { 'settings-view': SettingsView }
}
