/**
 * <ring-view>: the hash ring as an SVG circle of partitions colored by owner. This tab's partitions carry
 * a white outer band; partitions whose owner this tab cannot reach now (partition, isolation, cut, down)
 * are dimmed, so the current split shows on the ring. Typing a key shows its position, its preference
 * list, the fallbacks in use and which nodes hold a copy now.
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend, UiKeyLocation } from './backend.js';
import { theme } from './theme.js';
import * as format from './format.js';
import * as viewFormat from './view-format.js';
import { ringGeometry } from './ring-geometry.js';
import * as ringMoves from './ring-moves.js';
import './replica-table.js';

const size = 440;
const center = size / 2;
const outer = 200;
const inner = 140;

const { polar, sector } = ringGeometry(center);

@customElement('ring-view')
export class RingView extends LitElement {
  @property({ attribute: false }) snapshot: PeerView | undefined;
  @property({ attribute: false }) backend: UiBackend | undefined;
  @state() private key = '';
  @state() private located: { key: string; where: UiKeyLocation } | undefined;
  @state() private error = '';

  static override styles = [theme, css`
    :host { display: block; }
    .layout { display: grid; grid-template-columns: ${size}px 1fr; gap: 20px; align-items: start; }
    svg { width: ${size}px; height: ${size}px; display: block; }
    .side { display: grid; gap: 12px; min-width: 0; }
    .legend { display: grid; grid-template-columns: auto 1fr auto; gap: 4px 10px; align-items: center; font-size: 14px; }
    .chips { display: flex; gap: 8px; flex-wrap: wrap; min-height: 26px; align-items: center; }
    .chip { display: inline-flex; gap: 6px; align-items: center; font-family: var(--mono); font-size: 14px; }
    dl { display: grid; grid-template-columns: 130px 1fr; gap: 6px 10px; margin: 0; }
    dt { color: var(--muted); }
    dd { margin: 0; }
    .err { min-height: 22px; }
    .note { font-size: 13px; }
    .moved-text { min-height: 22px; color: var(--warn); }
    path.moved { animation: flash 0.5s ease-in-out 6 alternate; }
    @keyframes flash { from { fill-opacity: 0.95; } to { fill-opacity: 0.1; } }
  `];

  private lastProbeMs = 0;
  /** True while a locate (and its inspection) is in flight: the refresh never stacks a second one. */
  private probing = false;
  /** Counts locate requests: only the newest one's answer is shown. */
  private probeRequests = 0;
  /** The owners array of the previous snapshot this view was given, to diff against the next one. */
  private previousOwners: readonly string[] = [];
  /** Partitions whose owner changed in the last membership change (they flash), and the sentence about it. */
  @state() private moved: ReadonlySet<number> = new Set();
  @state() private movedText = '';

  /** After a membership change, which partitions moved (ring-moves.ts, shared with the projector). */
  private diffOwners(owners: readonly string[]): void {
    const moves = ringMoves.between(this.previousOwners, owners);
    this.previousOwners = owners;
    if (!moves) return;
    this.moved = moves.moved;
    this.movedText = moves.text;
  }

  /** The located key's holders and fallbacks change with the cluster: refresh them about once a second. */
  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('snapshot') && this.snapshot) this.diffOwners(this.snapshot.node?.owners ?? []);
    if (changed.has('snapshot') && this.located && !this.hidden && !this.probing && performance.now() - this.lastProbeMs > 1000) {
      void this.locate(this.located.key);
    }
  }

  /** Shows where `key` lives (used by the lessons, as if the person typed it); its location, if found. */
  async probe(key: string): Promise<UiKeyLocation | undefined> {
    this.key = key;
    return this.locate(key);
  }

  /**
   * Locates `key` without touching the text field: the periodic refresh must not overwrite what the person
   * is typing (it did: a refresh of the last key reset the field while the next key was being typed).
   * Only the newest request's answer is shown, so a slow refresh cannot replace a newer key's location.
   */
  private async locate(key: string): Promise<UiKeyLocation | undefined> {
    this.lastProbeMs = performance.now();
    const backend = this.backend;
    if (!backend || key.length === 0) return undefined;
    const request = ++this.probeRequests;
    this.probing = true;
    try {
      const where = await backend.locate(key);
      if (request !== this.probeRequests) return where;
      this.located = { key, where };
      this.error = '';
      // The lesson panel judges a locate step by the latest location, not the one seen at the press.
      this.dispatchEvent(new CustomEvent<{ key: string; fallbacks: readonly string[] }>('key-located', { detail: { key, fallbacks: where.fallbacks }, bubbles: true, composed: true }));
      return where;
    } catch (error) {
      if (request === this.probeRequests) this.error = `could not locate ${key}: ${(error as Error).message}`;
      return undefined;
    } finally {
      if (request === this.probeRequests) this.probing = false;
    }
  }

  override render() {
    const s = this.snapshot;
    if (!s) return nothing;
    const config = viewFormat.config(s);
    return html`<h2>Ring: ${config.partitions} partitions, N = ${config.n}</h2>
      <div class="layout">${this.renderRing(s)}
        <div class="side">
          <form class="row" @submit=${(e: Event) => { e.preventDefault(); void this.probe(this.key); }}>
            <label for="probe">Key to locate</label>
            <input id="probe" class="grow" autocomplete="off" .value=${this.key}
              @input=${(e: Event) => { this.key = (e.target as HTMLInputElement).value; }}>
            <button type="submit" class="primary">Locate</button>
          </form>
          <div class="err error" role="status">${this.error}</div>
          ${this.located ? this.renderLocation(this.located.key, this.located.where) : html`<p class="muted">Type a key to see its partition and replicas.</p>`}
          <div class="moved-text" role="status" data-testid="moved">${this.movedText}</div>
          ${this.renderLegend(s)}
        </div>
      </div>`;
  }

  /**
   * The located key's preference list as an arc inside the ring: clockwise from the key's partition to the first partition of
   * its last replica, with each replica's first partition numbered as in the list. Read from the owners array
   * and the list the backend gave (no ring logic here).
   */
  private renderArc(owners: readonly string[], q: number) {
    const where = this.located?.where;
    if (where === undefined || owners.length !== q || where.replicas.length === 0) return nothing;
    const firstOf = new Map<string, number>();
    let span = 0;
    for (let k = 0; k < q && firstOf.size < where.replicas.length; k++) {
      const owner = owners[(where.partition + k) % q] as string;
      if (where.replicas.includes(owner) && !firstOf.has(owner)) firstOf.set(owner, k);
      span = k + 1;
    }
    const a = where.partition / q;
    const b = Math.min(a + span / q, a + 0.999);
    const r = inner - 12; // inside the ring: the outer edge carries this tab's band and the key's marker
    const [x0, y0] = polar(r, a);
    const [x1, y1] = polar(r, b);
    return svg`<g data-testid="preference-arc">
      <path d=${`M${x0} ${y0} A${r} ${r} 0 ${b - a > 0.5 ? 1 : 0} 1 ${x1} ${y1}`} fill="none" stroke="#ffd866" stroke-width="4" stroke-linecap="round"></path>
      ${where.replicas.map((id, i) => {
        const k = firstOf.get(id);
        if (k === undefined) return nothing;
        const [cx, cy] = polar(r, (where.partition + k + 0.5) / q);
        return svg`<circle cx=${cx} cy=${cy} r="9" fill=${format.nodeColor(id)} stroke="#0f1419" stroke-width="2"></circle>
          <text x=${cx} y=${cy} fill="#0f1419" font-size="12" font-weight="700" text-anchor="middle" dominant-baseline="central">${i + 1}</text>`;
      })}</g>`;
  }

  private renderRing(s: PeerView) {
    const owners = s.node?.owners ?? [];
    const members = viewFormat.members(s);
    const q = owners.length || 1;
    // At demo sizes (Q <= 32) each slice is wide enough for its number.
    const labels = q <= 32;
    const reachable = new Set(members.filter((m) => viewFormat.reachable(s, m.id) && m.status === 'alive').map((m) => m.id));
    const probe = this.located?.where.partition;
    const color = format.nodeColor;
    const [px, py] = probe === undefined ? [0, 0] : polar(outer + 14, (probe + 0.5) / q);
    const [lx, ly] = probe === undefined ? [0, 0] : polar(inner - 26, (probe + 0.5) / q);
    return svg`<svg viewBox="0 0 ${size} ${size}" role="img" aria-label="Hash ring, partitions colored by owner">
      ${owners.map((owner, p) => svg`<path d=${sector(inner, outer, p / q, (p + 1) / q)}
        fill=${color(owner)} fill-opacity=${reachable.has(owner) ? 0.95 : 0.25} class=${this.moved.has(p) ? 'moved' : ''}
        stroke="#0f1419" stroke-width="1"><title>partition ${p}: ${owner}</title></path>`)}
      ${owners.map((owner, p) => owner === s.identity.nodeId
        ? svg`<path d=${sector(outer + 3, outer + 9, p / q, (p + 1) / q)} fill="#ffffff"></path>` : nothing)}
      ${labels ? owners.map((_o, p) => {
        const [tx, ty] = polar((inner + outer) / 2, (p + 0.5) / q);
        return svg`<text x=${tx} y=${ty} fill="#0f1419" font-size="13" text-anchor="middle" dominant-baseline="central">${p}</text>`;
      }) : nothing}
      ${this.renderArc(owners, q)}
      ${probe === undefined ? nothing : svg`<line x1=${center} y1=${center} x2=${px} y2=${py} stroke="#ffd866" stroke-width="3"></line>
        <circle cx=${px} cy=${py} r="7" fill="#ffd866"></circle>
        <text x=${lx} y=${ly} fill="#ffd866" font-size="15" text-anchor="middle" dominant-baseline="middle">${probe}</text>`}
      <text x=${center} y=${center - 8} fill="#e3e9ef" font-size="17" text-anchor="middle">${members.filter((m) => m.status !== 'left').length} nodes</text>
      <text x=${center} y=${center + 16} fill="#93a1b0" font-size="14" text-anchor="middle">white band: this tab</text>
    </svg>`;
  }

  private renderLocation(key: string, where: UiKeyLocation) {
    const chips = (ids: readonly string[], empty: string, numbered = false) => ids.length === 0 ? html`<span class="muted">${empty}</span>`
      : ids.map((id, i) => html`<span class="chip"><span class="dot" style="background:${format.nodeColor(id)}"></span>${numbered ? `${i + 1}. ` : ''}${format.shortId(id)}</span>`);
    return html`<dl data-testid="location">
      <dt>key</dt><dd class="mono">${key}</dd>
      <dt>partition</dt><dd class="mono">${where.partition}</dd>
      <dt>preference list</dt><dd class="chips" data-testid="preference-list">${chips(where.replicas, 'no replicas', true)}</dd>
      <dt>fallbacks in use</dt><dd class="chips" data-testid="fallbacks">${chips(where.fallbacks, 'none')}</dd>
      <dt>holding a copy</dt><dd class="chips" data-testid="holders">${chips(where.holders, 'nobody that answered')}</dd>
      ${where.holdersNote ? html`<dt></dt><dd class="muted note" data-testid="holders-note">${where.holdersNote}</dd>` : nothing}
    </dl>
    ${where.table ? html`<replica-table .rows=${where.table} .replicas=${where.replicas} .self=${this.snapshot?.identity.nodeId ?? ''}></replica-table>` : nothing}`;
  }

  private renderLegend(s: PeerView) {
    const active = viewFormat.members(s).filter((m) => m.status !== 'left');
    return html`<div class="panel"><h3>Owners</h3><div class="legend">
      ${active.map((m) => html`<span class="dot" style="background:${format.nodeColor(m.id)}"></span>
        <span class="mono">${m.id}${m.id === s.identity.nodeId ? ' (this tab)' : ''}</span>
        <span>${viewFormat.partitionsOwned(s, m.id)} partitions</span>`)}
    </div></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'ring-view': RingView }
}
