/**
 * <members-view>: every member as this tab sees it (status, heartbeat age, host, capacity, partitions
 * owned, keys held), a Remove button for every other member (with a confirmation naming what moves), and
 * this tab's own join, leave and capacity controls.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend, UiRemovalPreview } from './backend.js';
import { lessonTarget, theme } from './theme.js';
import * as format from './format.js';
import * as viewFormat from './view-format.js';

@customElement('members-view')
export class MembersView extends LitElement {
  @property({ attribute: false }) snapshot: PeerView | undefined;
  /** The control the current lesson step points at in this view (lessons.ts ControlName), '' for none. */
  @property({ attribute: false }) highlight = '';
  @property({ attribute: false }) backend: UiBackend | undefined;
  @state() private capacity = '';
  @state() private message = '';

  static override styles = [theme, css`
    :host { display: block; }
    table { table-layout: fixed; margin-bottom: 16px; }
    /* 100 % in all: the Remove button fits its column (it overflowed the table at 1280x720). */
    col.id { width: 22%; } col.status { width: 12%; } col.age { width: 11%; } col.host { width: 14%; }
    col.n { width: 9%; } col.act { width: 14%; }
    td.id { overflow: hidden; text-overflow: ellipsis; }
    tr.self td { background: #1a2430; }
    .controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
    input[type='number'] { width: 80px; }
    .msg { min-height: 24px; margin-top: 8px; }
  `];

  override render() {
    const s = this.snapshot;
    if (!s) return nothing;
    const selfId = s.identity.nodeId;
    const me = viewFormat.self(s);
    const out = me?.status === 'left' || me?.status === 'removed';
    const canRemove = this.backend?.remove !== undefined;
    return html`<h2>Members</h2>
      <table data-testid="members" class=${lessonTarget(this.highlight, 'members')}>
        <colgroup><col class="id"><col class="status"><col class="age"><col class="host"><col class="n"><col class="n"><col class="n"><col class="act"></colgroup>
        <thead><tr><th>node</th><th>status</th><th class="num">heartbeat</th><th>host</th>
          <th class="num">capacity</th><th class="num">partitions</th><th class="num">keys</th><th></th></tr></thead>
        <tbody>${viewFormat.members(s).map((m) => html`<tr class=${m.id === selfId ? 'self' : ''}>
          <td class="id mono" title=${m.id}><span class="dot" style="background:${format.nodeColor(m.id)}"></span>
            ${m.id}${m.id === selfId ? ' (this tab)' : ''}</td>
          <td><span class="pill ${m.status}">${m.status}</span></td>
          <td class="num">${m.id === selfId ? '—' : format.age(viewFormat.heartbeatAgeMs(s, m))}</td>
          <td class="mono" title=${m.host}>${format.hostLabel(m.host)}${m.zone === 'peer' ? html` <span class="pill" data-testid="always-on">always-on</span>` : nothing}</td>
          <td class="num">${m.capacity}</td>
          <td class="num">${viewFormat.partitionsOwned(s, m.id)}</td>
          <td class="num">${m.id === selfId ? s.node?.keys ?? '?' : '?'}</td>
          <td>${canRemove && m.id !== selfId && m.status !== 'left' && m.status !== 'removed'
            ? html`<button class="danger" data-testid=${`remove-${m.id}`} @click=${() => void this.onRemove(m.id)}>Remove</button>` : nothing}</td>
        </tr>`)}</tbody>
      </table>
      <div class="panel">
        <h3>This tab</h3>
        <div class="controls">
          <label for="capacity">Capacity</label>
          <input id="capacity" type="number" min="1" max="16" step="1" placeholder=${String(s.identity.capacity)} .value=${this.capacity}
            @input=${(e: Event) => { this.capacity = (e.target as HTMLInputElement).value; }}>
          <button class=${lessonTarget(this.highlight, 'capacity')} @click=${this.onCapacity}>Set capacity</button>
          <span class="spacer"></span>
          ${out ? html`<button class="primary ${lessonTarget(this.highlight, 'leave-join')}" @click=${() => this.act('join', () => this.backend?.join())}>Join the ring</button>`
            : !s.ready ? html`<span class="muted">Not in the ring yet: waiting for the other members to answer.</span>`
            : html`<button class="danger ${lessonTarget(this.highlight, 'leave-join')}" @click=${() => this.act('leave', () => this.backend?.leave())}>Leave the ring</button>`}
        </div>
        <div class="msg" role="status">${this.message}</div>
      </div>`;
  }

  private async onRemove(id: string): Promise<void> {
    const backend = this.backend;
    if (!backend?.removalPreview) return;
    let preview: UiRemovalPreview;
    try {
      preview = await backend.removalPreview(id);
    } catch (error) {
      this.message = `remove ${id} failed: ${(error as Error).message}`;
      return;
    }
    if (!window.confirm(removalSummary(id, preview))) return;
    void this.act(`remove ${id}`, () => backend.remove?.(id));
  }

  private onCapacity(): void {
    const capacity = Number(this.capacity);
    if (!Number.isFinite(capacity) || capacity <= 0) {
      this.message = 'Capacity must be a positive number.';
      return;
    }
    void this.act(`capacity ${capacity}`, () => this.backend?.setCapacity(capacity));
  }

  private async act(what: string, action: () => Promise<void> | undefined): Promise<void> {
    try {
      await action();
      this.message = `Done: ${what}.`;
    } catch (error) {
      this.message = `${what} failed: ${(error as Error).message}`;
    }
  }
}

/**
 * What a removal moves, for the confirmation: "n3 owns 41 of 256 partitions; they move to n1 (14), ...".
 * The numbers are the core's (removal.preview: this node's ring rebuilt without the member).
 */
export function removalSummary(id: string, preview: UiRemovalPreview): string {
  if (preview.owned > 0 && preview.moves.length === 0) return `Remove ${id}? No other member would own its partitions.`;
  const destinations = preview.moves.map((m) => `${m.to} (${m.partitions})`).join(', ');
  return `Remove ${id} from the ring? ${id} owns ${preview.owned} of ${preview.partitions} partitions`
    + `${preview.owned > 0 ? `; they move to ${destinations}` : ''}. Its data is not deleted: the surviving replicas copy it to the new owners. `
    + `If ${id} comes back, it rejoins as a new member.`;
}

declare global {
  interface HTMLElementTagNameMap { 'members-view': MembersView }
}
