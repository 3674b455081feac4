/**
 * <replica-table>: for a located key, one row per node that was asked (its N replicas, then every hinted
 * holder), with each version it holds: a value preview and its clock. Below, one line per pair of distinct
 * versions held anywhere says whether one has seen the other or why they are concurrent. The rows come from
 * a read-only inspection through the core (UiKeyLocation.table); the ring view refreshes it about once a second.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { UiHolder, UiVersion } from './backend.js';
import { theme } from './theme.js';
import * as format from './format.js';

/** Longest value preview, in characters (the key console shows the whole value). */
const previewChars = 24;
/** Most relation lines shown (pairs grow quadratically with siblings). */
const relationsMax = 4;

const identity = (v: UiVersion) => (v.dot ? `${v.dot.actor}:${v.dot.counter}` : format.fullClock(v.clock));

function preview(v: UiVersion): string {
  if (v.kind === 'tombstone') return '(deleted)';
  const t = v.text ?? '';
  return t.length <= previewChars ? t : `${t.slice(0, previewChars - 1)}…`;
}

@customElement('replica-table')
export class ReplicaTable extends LitElement {
  @property({ attribute: false }) rows: readonly UiHolder[] = [];
  /** The key's preference list, so replicas are numbered as on the ring. */
  @property({ attribute: false }) replicas: readonly string[] = [];
  @property({ attribute: false }) self = '';

  static override styles = [theme, css`
    :host { display: block; }
    table { border-collapse: collapse; width: 100%; font-size: 14px; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line, #2a3440); vertical-align: top; }
    th { color: var(--muted); font-weight: 400; }
    .v { font-family: var(--mono); white-space: nowrap; }
    .why { font-size: 14px; margin: 6px 0 0; }
  `];

  override render() {
    if (this.rows.length === 0) return html`<p class="muted" data-testid="replica-table">No reachable node answered yet.</p>`;
    const distinct = new Map<string, UiVersion>();
    for (const row of this.rows) for (const v of row.versions) distinct.set(identity(v), v);
    const all = [...distinct.values()];
    const pairs: string[] = [];
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) pairs.push(format.relation(all[i] as UiVersion, all[j] as UiVersion));
    return html`<table data-testid="replica-table">
        <thead><tr><th>node</th><th>role</th><th>value</th><th>clock</th></tr></thead>
        <tbody>${this.rows.map((row) => this.renderRow(row))}</tbody>
      </table>
      ${pairs.slice(0, relationsMax).map((p) => html`<p class="why" data-testid="why">${p}</p>`)}
      ${pairs.length > relationsMax ? html`<p class="muted why">… and ${pairs.length - relationsMax} more pairs</p>` : nothing}`;
  }

  private renderRow(row: UiHolder) {
    const place = this.replicas.indexOf(row.node);
    const role = row.replica ? `replica ${place + 1}` : 'hinted holder';
    const name = html`<span class="dot" style="background:${format.nodeColor(row.node)}"></span> ${row.node}${row.node === this.self ? ' (this tab)' : ''}`;
    if (row.versions.length === 0) return html`<tr data-node=${row.node}><td>${name}</td><td>${role}</td><td class="muted" colspan="2">nothing yet</td></tr>`;
    return row.versions.map((v, i) => html`<tr data-node=${row.node}>
      <td>${i === 0 ? name : ''}</td><td>${i === 0 ? role : ''}</td>
      <td class="v" title=${v.text ?? ''}>${preview(v)}</td>
      <td class="v" title=${format.fullClock(v.clock)}>${format.clock(v.clock)}</td></tr>`);
  }
}

declare global {
  interface HTMLElementTagNameMap { 'replica-table': ReplicaTable }
}
