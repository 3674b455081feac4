/**
 * <activity-view>: what this node is doing. Counters, the hinted-handoff queue with its destinations,
 * anti-entropy progress per partition, and a live timeline of trace events that can be filtered by
 * category or text and paused (a paused timeline keeps the rows it had).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { PeerView } from '../runtime/peer-view.js';
import { lessonTarget, theme } from './theme.js';
import * as format from './format.js';
import * as viewFormat from './view-format.js';

/** Rows shown at most; the runtime's ring buffer bounds what exists. */
const timelineRowsMax = 200;

@customElement('activity-view')
export class ActivityView extends LitElement {
  @property({ attribute: false }) snapshot: PeerView | undefined;
  /** The control the current lesson step points at in this view (lessons.ts ControlName), '' for none. */
  @property({ attribute: false }) highlight = '';
  /** The rows the timeline had when it was paused (their times included), or undefined while it is live. */
  @state() private paused: readonly viewFormat.TimelineRow[] | undefined;
  @state() private category = '';
  @state() private text = '';

  static override styles = [theme, css`
    :host { display: block; }
    .counters { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 8px; margin-bottom: 12px; }
    .counter { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
    .counter b { display: block; font-size: 20px; }
    .counter span { color: var(--muted); font-size: 13px; }
    .two { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-bottom: 12px; }
    .two .panel { height: 150px; overflow: auto; }
    progress { width: 160px; height: 12px; accent-color: var(--accent); }
    .timeline { height: 290px; overflow: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
    .ev { display: grid; grid-template-columns: 108px 90px 150px 1fr; gap: 8px; padding: 3px 10px; border-bottom: 1px solid #202a35; font-size: 14px; }
    .ev .cat { font-family: var(--mono); }
    .ev .text { overflow-wrap: anywhere; }
    .cat.error { color: var(--bad); } .cat.hint, .cat.handoff { color: var(--warn); } .cat.ae, .cat.repair { color: var(--ok); }
    .tools { margin-bottom: 8px; }
    .round { display: grid; grid-template-columns: auto 1fr auto; gap: 8px; align-items: center; }
    .round progress { width: 100%; }
    .two p { margin: 4px 0; }
  `];

  /** Wall-clock time at which the current view arrived: the timeline times its events back from it. */
  private arrivedAtMs = Date.now();

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('snapshot')) this.arrivedAtMs = Date.now();
  }

  override render() {
    const s = this.snapshot;
    if (!s) return nothing;
    const errors = s.loop?.counters.storageErrors ?? 0;
    const hints = viewFormat.hintQueues(s);
    return html`<h2>Activity</h2>
      <div class="counters" data-testid="counters">${viewFormat.counters(s).map(([name, n]) => html`<div class="counter"><b>${n}</b><span>${name}</span></div>`)}
        <div class="counter"><b>${s.node?.keys ?? 0}</b><span>keys stored</span></div>
        <div class="counter"><b>${format.bytes(s.storage?.stats.cacheBytes ?? 0)}</b><span>value cache</span></div>
        ${errors > 0 ? html`<div class="counter error"><b>${errors}</b><span>storage errors: ${s.storage?.lastError ?? ''}</span></div>` : nothing}
      </div>
      <div class="two">
        <div class="panel ${lessonTarget(this.highlight, 'hints')}" data-testid="hints"><h3>Hinted handoff queue</h3>
          ${hints.length === 0 ? html`<p class="muted">No hints held: every replica this node wrote for is reachable.</p>`
            : html`<table><thead><tr><th>waiting for</th><th class="num">versions</th></tr></thead><tbody>
              ${hints.map((h) => html`<tr><td class="mono"><span class="dot" style="background:${format.nodeColor(h.destination)}"></span> ${h.destination}</td>
                <td class="num">${h.versions}</td></tr>`)}</tbody></table>`}
        </div>
        ${this.renderAntiEntropy(s)}
      </div>
      ${this.renderTimeline(s)}`;
  }

  /** The round's progress bar (always there, so the layout does not jump) and the exchange running now. */
  private renderAntiEntropy(s: PeerView) {
    const round = s.node?.antiEntropy;
    // Every Merkle descent in flight (several run at once); its bar is how far down the tree it has come.
    const repairs = round?.sessions ?? [];
    return html`<div class="panel ${lessonTarget(this.highlight, 'repairs')}" data-testid="repairs"><h3>Anti-entropy</h3>
      ${round ? html`<div class="round"><span>round</span>
        <progress max=${Math.max(1, round.total)} .value=${round.done} aria-label="anti-entropy round"></progress>
        <span class="mono" data-testid="ae-round">${round.done}/${round.total}</span></div>
        <p class="muted">partitions compared this round; ${round.sessionsStarted} exchanges, ${round.sessionsInSync} in sync</p>` : nothing}
      ${repairs.length === 0 ? html`<p class="muted">No exchange running.</p>`
        : html`<table><tbody>${repairs.slice(0, 40).map((r) => html`<tr><td>partition ${r.partition}</td><td class="mono">with ${format.shortId(r.peer)}</td>
          <td><progress max=${Math.max(1, r.levels)} .value=${r.level} aria-label=${`partition ${r.partition} repair`}></progress></td></tr>`)}</tbody></table>
          ${repairs.length > 40 ? html`<p class="muted">and ${repairs.length - 40} more partitions</p>` : nothing}`}
    </div>`;
  }

  private renderTimeline(s: PeerView) {
    const live = viewFormat.timeline(s, this.arrivedAtMs);
    const source = this.paused ?? live;
    const categories = [...new Set(live.map((t) => t.category))].sort();
    const needle = this.text.toLowerCase();
    const rows = source.filter((t) => (!this.category || t.category === this.category)
      && (!needle || format.plainWords(t.text).toLowerCase().includes(needle) || t.node.toLowerCase().includes(needle)));
    const shown = rows.slice(-timelineRowsMax).reverse();
    return html`<div class="row tools">
        <h3 style="margin:0">Timeline</h3>
        <select aria-label="category" @change=${(e: Event) => { this.category = (e.target as HTMLSelectElement).value; }}>
          <option value="">all categories</option>
          ${categories.map((c) => html`<option value=${c} ?selected=${c === this.category}>${c}</option>`)}
        </select>
        <input aria-label="filter text" placeholder="filter" .value=${this.text}
          @input=${(e: Event) => { this.text = (e.target as HTMLInputElement).value; }}>
        <button aria-pressed=${this.paused ? 'true' : 'false'} @click=${() => { this.paused = this.paused ? undefined : live; }}>
          ${this.paused ? 'Resume' : 'Pause'}</button>
        <span class="muted">${this.paused ? 'paused' : 'live'}, ${rows.length} events</span>
      </div>
      <div class="timeline" role="log" aria-label="timeline" data-testid="timeline">
        ${shown.map((t) => html`<div class="ev"><span class="mono muted">${format.timeOfDay(t.atMs)}</span>
          <span class="cat ${t.category}">${t.category}</span><span class="mono">${format.shortId(t.node)}</span><span class="text">${format.plainWords(t.text)}</span></div>`)}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'activity-view': ActivityView }
}
