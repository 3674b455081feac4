/**
 * <projector-view>: the one screen for the class (/?view=class): the ring with every node and the messages
 * travelling between them, the legend, each node's partitions and hint queue, the time controls and the
 * Merkle tree of the partition under repair. Sized for 1280x720 and up, no scrolling.
 * It re-renders on every animation frame while open (the flights move); it reads the model and owns nothing.
 */
import { noFaults, type FaultRules } from '../protocol/faults.js';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { TimeKv } from '../runtime/time-api.js';
import * as timeControl from '../protocol/time-control.js';
import * as model from './projector-model.js';
import { legend } from './projector-kinds.js';
import { byName } from './projector-ring.js';
import { roomStatus } from './projector-marks.js';
import { theme } from './theme.js';
import * as format from './format.js';
import './projector-ring.js';
import './projector-merkle.js';
import './projector-time-control.js';

const frameMinMs = 50;
const idleFrameMs = 500;

@customElement('projector-view')
export class ProjectorView extends LitElement {
  @property({ attribute: false }) state: model.ProjectorState | undefined;
  @property({ attribute: false }) controls: TimeKv | undefined;
  @property() room = '';
  @property() authority = 'unknown';
  @property() faultsText = 'no faults';
  /** The room's fault rules (as the signaling server relays them): the ring marks who is cut off. */
  @property({ attribute: false }) faults: FaultRules = noFaults;
  @property() connection = 'connecting';
  /** Real ms of the current frame (set by the animation loop). */
  @state() private nowMs = 0;
  private frame = 0;

  static override styles = [theme, css`
    :host { display: block; height: 100vh; background: var(--bg); overflow: hidden; }
    .page { display: grid; grid-template-rows: 50px 1fr; height: 100%; }
    header { display: flex; align-items: center; gap: 18px; padding: 0 16px; border-bottom: 1px solid var(--line); white-space: nowrap; }
    h1 { font-size: 20px; margin: 0; }
    .faults { color: var(--warn); font-weight: 600; overflow: hidden; text-overflow: ellipsis; }
    .body { display: grid; grid-template-columns: minmax(0, 1fr) 560px; min-height: 0; }
    projector-ring { height: calc(100vh - 56px); max-width: calc(100vh - 56px); justify-self: center; width: 100%; }
    .side { display: grid; grid-template-rows: auto auto 1fr; gap: 10px; padding: 10px 14px 10px 0; min-height: 0; overflow: hidden; }
    .legend { display: grid; grid-template-columns: 1fr 1fr; gap: 3px 14px; font-size: 14px; }
    .swatch { display: inline-block; width: 22px; height: 6px; border-radius: 3px; vertical-align: middle; margin-right: 6px; }
    table td, table th { padding: 3px 8px; font-size: 15px; }
    .panel { padding: 10px 12px; }
    .gossip { font-size: 13px; }
  `];

  override connectedCallback(): void {
    super.connectedCallback();
    // At most frameMinMs apart, and only every idleFrameMs with nothing in flight: the tabs being drawn
    // share the machine (often the same laptop) and must not be starved by the drawing.
    const loop = (nowMs: number) => {
      const busy = (this.state?.flights.length ?? 0) > 0;
      if (nowMs - this.nowMs >= (busy ? frameMinMs : idleFrameMs)) this.nowMs = nowMs;
      this.frame = requestAnimationFrame(loop);
    };
    this.frame = requestAnimationFrame(loop);
  }

  override disconnectedCallback(): void {
    cancelAnimationFrame(this.frame);
    super.disconnectedCallback();
  }

  override render() {
    const s = this.state;
    if (!s) return nothing;
    const nodes = [...s.nodes.values()].sort((a, b) => byName(a.id, b.id));
    const flights = model.inFlight(s, this.nowMs);
    return html`<div class="page">
      <header>
        <h1>tabdynamo · room ${this.room}</h1>
        <span class="muted">${this.connection === 'open' ? `${nodes.length} nodes` : `signaling ${this.connection}`}</span>
        <projector-time-control .controls=${this.controls} .authority=${this.authority} .setting=${s.pace.setting}></projector-time-control>
        <span class="faults">${this.faultsText === 'no faults' ? '' : this.faultsText}</span>
      </header>
      <div class="body">
        <projector-ring .nodes=${nodes} .faults=${this.faults} .flights=${flights} .nowMs=${this.nowMs} .silentAfterMs=${model.goneAfterMs} .moves=${s.moves && this.nowMs - s.moves.atMs < model.movesShownMs ? s.moves : undefined}></projector-ring>
        <div class="side">
          <section class="panel" aria-label="legend">
            <div class="legend">${legend(s.showGossip).map((row) => html`<span><span class="swatch" style="background:${row.style.color}"></span>${row.style.label}</span>`)}</div>
            <label class="gossip"><input type="checkbox" .checked=${s.showGossip} @change=${(e: Event) => { s.showGossip = (e.target as HTMLInputElement).checked; }}> show gossip</label>
            <span class="muted gossip">${flights.length} in flight${s.droppedEvents > 0 ? ` · ${s.droppedEvents} not shown (rate limit)` : ''}</span>
          </section>
          <section class="panel" aria-label="nodes">
            <table><thead><tr><th>node</th><th>status</th><th class="num">partitions</th><th class="num">owns</th><th class="num">hints</th><th class="num">keys</th><th class="num">tick</th></tr></thead>
              <tbody>${nodes.map((n) => this.renderRow(n, nodes))}</tbody></table>
          </section>
          <section class="panel" aria-label="Merkle tree">
            <h2>Merkle repair</h2>
            <projector-merkle .drawing=${s.merkle} .nowMs=${this.nowMs}></projector-merkle>
          </section>
        </div>
      </div>
    </div>`;
  }

  /** One node's row. Its status is what the room knows (projector-marks.ts roomStatus), not only its own word. */
  private renderRow(n: model.NodeView, nodes: readonly model.NodeView[]) {
    const st = n.status;
    const silent = this.nowMs - n.lastSeenMs > model.goneAfterMs;
    const own = st?.state ?? 'starting';
    const status = silent ? 'silent' : roomStatus(this.faults, n.id, nodes.map((m) => m.id), own);
    const pill = silent ? 'dead' : status === own ? own : 'suspect';
    return html`<tr data-row=${n.id}>
      <td><span class="dot" style="background:${format.nodeColor(n.id)}"></span> <b>${n.id}</b>${st?.zone === 'peer' ? html` <span class="pill">peer</span>` : nothing}</td>
      <td><span class="pill ${pill}" data-testid="status">${status}</span></td>
      <td class="num">${st?.partitions ?? ''}</td><td class="num">${st?.primary.length ?? ''}</td>
      <td class="num" style=${st && st.hints > 0 ? 'color:var(--warn);font-weight:700' : ''}>${st?.hints ?? ''}</td>
      <td class="num">${st?.keys ?? ''}</td><td class="num" title=${st ? timeControl.describe(st.time) : ''}>${st?.tick ?? ''}</td>
    </tr>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'projector-view': ProjectorView }
}
