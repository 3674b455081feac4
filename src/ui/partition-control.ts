/**
 * <partition-control>: the teacher's switches. Put nodes into groups and split; isolate one node; cut one
 * link (optionally one way); a message-loss slider; heal. The rules apply cluster-wide (every tab's banner
 * shows them); this view also shows which nodes this tab can reach right now.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend } from './backend.js';
import { lessonTarget, theme } from './theme.js';
import * as format from './format.js';
import * as viewFormat from './view-format.js';

const groupNames = ['A', 'B', 'C'] as const;

@customElement('partition-control')
export class PartitionControl extends LitElement {
  @property({ attribute: false }) snapshot: PeerView | undefined;
  /** The control the current lesson step points at in this view (lessons.ts ControlName), '' for none. */
  @property({ attribute: false }) highlight = '';
  @property({ attribute: false }) backend: UiBackend | undefined;
  /** Node id -> group index, as the person assigns them before pressing Split. */
  @state() private groupOf: Record<string, number> = {};
  @state() private isolateTarget = '';
  @state() private cutFrom = '';
  @state() private cutTo = '';
  @state() private oneWay = false;
  @state() private lossPercent = -1;
  @state() private message = '';

  static override styles = [theme, css`
    :host { display: block; }
    .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
    .groups { display: grid; grid-template-columns: 1fr auto; gap: 6px 12px; align-items: center; margin-bottom: 10px; }
    .seg { display: inline-flex; }
    .seg button { border-radius: 0; min-width: 38px; }
    .seg button:first-child { border-radius: 6px 0 0 6px; }
    .seg button:last-child { border-radius: 0 6px 6px 0; }
    .seg button[aria-pressed='true'] { background: var(--accent); color: #0b1620; font-weight: 700; }
    select { max-width: 180px; }
    input[type='range'] { width: 220px; }
    .msg { min-height: 24px; margin: 10px 0; }
    .current { min-height: 48px; }
    .heal { font-size: 17px; padding: 8px 22px; }
    .chip { display: inline-flex; gap: 5px; align-items: center; font-family: var(--mono); font-size: 14px; margin-right: 10px; }
    .unreach { opacity: 0.45; text-decoration: line-through; }
  `];

  /** The room's split last seen, so the buttons follow a split or heal made from any tab. */
  private seenGroups = '';

  override willUpdate(): void {
    const groups = JSON.stringify(this.snapshot?.network.faults.groups ?? []);
    if (groups !== this.seenGroups) {
      this.seenGroups = groups;
      this.groupOf = {};
    }
  }

  /** The group a node's buttons show: the person's choice, else its group in the active split (the rest last). */
  private shownGroup(id: string): number {
    const chosen = this.groupOf[id];
    if (chosen !== undefined) return chosen;
    const groups = this.snapshot?.network.faults.groups ?? [];
    if (groups.length === 0) return 0;
    const i = groups.findIndex((g) => g.includes(id));
    return Math.min(i < 0 ? groups.length : i, groupNames.length - 1);
  }

  override render() {
    const s = this.snapshot;
    if (!s) return nothing;
    const members = viewFormat.members(s);
    const ids = members.filter((m) => m.status !== 'left').map((m) => m.id);
    const options = (selected: string) => ids.map((id) => html`<option value=${id} ?selected=${id === selected}>${id}</option>`);
    const loss = this.lossPercent >= 0 ? this.lossPercent : Math.round(s.network.faults.lossRate * 100);
    return html`<h2>Partitions and faults <span class="muted" data-testid="teacher-only">(teacher only)</span></h2>
      <div class="panel current">
        <div class="row"><strong>Now:</strong><span data-testid="faults-now">${viewFormat.faultText(s) || 'no faults'}</span>
          <span class="spacer grow"></span><button class="primary heal ${lessonTarget(this.highlight, 'heal')}" @click=${() => this.act('heal', (b) => b.heal())}>Heal everything</button></div>
        <div style="margin-top:8px">Reachable from this tab:
          ${members.map((m) => html`<span class="chip ${viewFormat.reachable(s, m.id) ? '' : 'unreach'}"><span class="dot" style="background:${format.nodeColor(m.id)}"></span>${format.shortId(m.id)}</span>`)}</div>
      </div>
      <div class="msg" role="status" data-testid="partition-message">${this.message}</div>
      <div class="grid">
        <div class="panel">
          <h3>Split into groups</h3>
          <div class="groups">${ids.map((id) => html`<span class="mono"><span class="dot" style="background:${format.nodeColor(id)}"></span> ${id}${id === s.identity.nodeId ? ' (this tab)' : ''}</span>
            <span class="seg" role="group" aria-label=${`group of ${id}`}>${groupNames.map((g, i) => html`<button aria-pressed=${this.shownGroup(id) === i ? 'true' : 'false'}
              @click=${() => { this.groupOf = { ...this.groupOf, [id]: i }; }}>${g}</button>`)}</span>`)}</div>
          <button class="danger ${lessonTarget(this.highlight, 'split')}" @click=${() => this.split(ids)}>Split</button>
        </div>
        <div class="panel">
          <h3>Isolate one node</h3>
          <div class="row ${lessonTarget(this.highlight, 'isolate')}"><select aria-label="node to isolate" @change=${(e: Event) => { this.isolateTarget = (e.target as HTMLSelectElement).value; }}>
            ${options(this.isolateTarget || ids[0] || '')}</select>
            <button class="danger" @click=${() => { const t = this.isolateTarget || ids[0]; if (t) void this.act(`isolate ${t}`, (b) => b.isolate(t)); }}>Isolate</button></div>
          <h3 style="margin-top:14px">Cut one link</h3>
          <div class="row"><select aria-label="cut from" @change=${(e: Event) => { this.cutFrom = (e.target as HTMLSelectElement).value; }}>${options(this.cutFrom || ids[0] || '')}</select>
            <span>→</span>
            <select aria-label="cut to" @change=${(e: Event) => { this.cutTo = (e.target as HTMLSelectElement).value; }}>${options(this.cutTo || ids[1] || '')}</select></div>
          <div class="row" style="margin-top:6px"><label><input type="checkbox" .checked=${this.oneWay}
            @change=${(e: Event) => { this.oneWay = (e.target as HTMLInputElement).checked; }}> one way only</label>
            <button class="danger" @click=${() => this.cut(ids)}>Cut link</button></div>
          <h3 style="margin-top:14px">Message loss</h3>
          <div class="row"><input type="range" min="0" max="50" step="5" aria-label="message loss percent" .value=${String(loss)}
            @input=${(e: Event) => { this.lossPercent = Number((e.target as HTMLInputElement).value); }}
            @change=${() => this.act(`loss ${loss} %`, (b) => b.setLoss(loss / 100))}>
            <span class="mono" style="width:48px">${loss} %</span></div>
        </div>
      </div>`;
  }

  private split(ids: readonly string[]): void {
    const groups = groupNames.map((_, i) => ids.filter((id) => this.shownGroup(id) === i)).filter((g) => g.length > 0);
    if (groups.length < 2) {
      this.message = 'Put at least one node in another group first.';
      return;
    }
    void this.act(`split ${groups.map((g) => `{${g.join(', ')}}`).join(' | ')}`, (b) => b.partition(groups));
  }

  private cut(ids: readonly string[]): void {
    const from = this.cutFrom || ids[0];
    const to = this.cutTo || ids[1];
    if (!from || !to || from === to) {
      this.message = 'Pick two different nodes.';
      return;
    }
    void this.act(`cut ${from} ${this.oneWay ? '→' : '↔'} ${to}`, (b) => b.cut(from, to, this.oneWay));
  }

  private async act(what: string, action: (b: UiBackend) => Promise<void>): Promise<void> {
    const backend = this.backend;
    if (!backend) return;
    try {
      await action(backend);
      this.message = `Done: ${what}.`;
      if (what === 'heal') { this.lossPercent = -1; this.groupOf = {}; }
    } catch (error) {
      this.message = `${what} failed: ${(error as Error).message}`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap { 'partition-control': PartitionControl }
}
