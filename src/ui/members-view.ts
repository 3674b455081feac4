/**
 * <members-view>: every member as this tab sees it (status, heartbeat age, host, capacity, partitions
 * owned, keys held) and this tab's own join, leave and capacity controls.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { UiBackend, UiSnapshot } from './backend.js';
import { theme } from './theme.js';
import * as format from './format.js';

@customElement('members-view')
export class MembersView extends LitElement {
  @property({ attribute: false }) snapshot: UiSnapshot | undefined;
  @property({ attribute: false }) backend: UiBackend | undefined;
  @state() private capacity = '';
  @state() private message = '';

  static override styles = [theme, css`
    :host { display: block; }
    table { table-layout: fixed; margin-bottom: 16px; }
    col.id { width: 28%; } col.status { width: 12%; } col.age { width: 11%; } col.host { width: 15%; }
    col.n { width: 11%; }
    td.id { overflow: hidden; text-overflow: ellipsis; }
    tr.self td { background: #1a2430; }
    .controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
    input[type='number'] { width: 80px; }
    .msg { min-height: 24px; margin-top: 8px; }
  `];

  override render() {
    const s = this.snapshot;
    if (!s) return nothing;
    const me = s.members.find((m) => m.id === s.self.id);
    const left = me?.status === 'left' || !s.ready;
    return html`<h2>Members</h2>
      <table data-testid="members">
        <colgroup><col class="id"><col class="status"><col class="age"><col class="host"><col class="n"><col class="n"><col class="n"></colgroup>
        <thead><tr><th>node</th><th>status</th><th class="num">heartbeat</th><th>host</th>
          <th class="num">capacity</th><th class="num">partitions</th><th class="num">keys</th></tr></thead>
        <tbody>${s.members.map((m) => html`<tr class=${m.id === s.self.id ? 'self' : ''}>
          <td class="id mono" title=${m.id}><span class="dot" style="background:${format.colorsOf(this.snapshot)(m.id)}"></span>
            ${m.id}${m.id === s.self.id ? ' (this tab)' : ''}</td>
          <td><span class="pill ${m.status}">${m.status}</span></td>
          <td class="num">${m.id === s.self.id ? '—' : format.age(m.heartbeatAgeMs)}</td>
          <td class="mono" title=${m.host}>${format.hostLabel(m.host)}${m.alwaysOn ? html` <span class="pill" data-testid="always-on">always-on</span>` : nothing}</td>
          <td class="num">${m.capacity}</td>
          <td class="num">${m.partitionsOwned}</td>
          <td class="num">${m.keysHeld ?? '?'}</td>
        </tr>`)}</tbody>
      </table>
      <div class="panel">
        <h3>This tab</h3>
        <div class="controls">
          <label for="capacity">Capacity</label>
          <input id="capacity" type="number" min="1" max="16" step="1" placeholder=${String(s.self.capacity)} .value=${this.capacity}
            @input=${(e: Event) => { this.capacity = (e.target as HTMLInputElement).value; }}>
          <button @click=${this.onCapacity}>Set capacity</button>
          <span class="spacer"></span>
          ${left ? html`<span class="muted">Out of the ring. A node that left comes back only as a new life: wipe its storage.</span>`
            : html`<button class="danger" @click=${() => this.act('leave', () => this.backend?.leave())}>Leave the ring</button>`}
        </div>
        <div class="msg" role="status">${this.message}</div>
      </div>`;
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

declare global {
  interface HTMLElementTagNameMap { 'members-view': MembersView }
}
