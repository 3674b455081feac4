/**
 * <sibling-card>: one version of a key: its value (always as text), its vector clock in words, and the
 * replicas that returned it. "Keep this" fires a `keep` event; the key console writes it back.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { UiVersion } from './backend.js';
import { theme } from './theme.js';
import * as format from './format.js';

@customElement('sibling-card')
export class SiblingCard extends LitElement {
  @property({ attribute: false }) version: UiVersion | undefined;
  /** 1-based position among the siblings, for the heading. */
  @property({ type: Number }) index = 1;
  @property({ type: Number }) count = 1;
  /** The node colors (format.nodeColor, a function of the id alone). */
  @property({ attribute: false }) colors: (id: string) => string = format.nodeColor;

  static override styles = [theme, css`
    :host { display: block; }
    .card { display: flex; flex-direction: column; gap: 8px; height: 100%; border-top: 4px solid var(--accent); }
    .value {
      font-family: var(--mono); font-size: 16px; white-space: pre-wrap; overflow-wrap: anywhere;
      background: var(--bg); border-radius: 6px; padding: 8px 10px; min-height: 44px; max-height: 140px; overflow: auto;
    }
    .tomb { color: var(--muted); font-style: italic; }
    .chips { display: flex; gap: 6px; flex-wrap: wrap; }
    .chip { display: inline-flex; align-items: center; gap: 5px; font-family: var(--mono); font-size: 13px; }
    dt { color: var(--muted); font-size: 13px; }
    dd { margin: 0 0 4px; }
  `];

  override render() {
    const v = this.version;
    if (!v) return html``;
    const heading = this.count > 1 ? `Sibling ${this.index} of ${this.count}` : 'Current value';
    return html`<div class="card panel" data-testid="sibling">
      <h3>${heading}</h3>
      ${v.kind === 'tombstone'
        ? html`<div class="value tomb">deleted (tombstone)</div>`
        : html`<div class="value" data-testid="sibling-value">${v.text ?? ''}</div>`}
      <dl>
        <dt>vector clock</dt>
        <dd class="mono" data-testid="sibling-clock" title=${format.fullClock(v.clock)}>${format.clock(v.clock)}</dd>
        <dt>returned by</dt>
        <dd class="chips">${v.replicas.map((id) => html`<span class="chip">
          <span class="dot" style="background:${this.colors(id)}"></span>${format.shortId(id)}</span>`)}</dd>
      </dl>
      ${this.count > 1 ? html`<button @click=${this.onKeep}>Keep this one</button>` : html``}
    </div>`;
  }

  private onKeep(): void {
    this.dispatchEvent(new CustomEvent('keep', { detail: this.version, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap { 'sibling-card': SiblingCard }
}
