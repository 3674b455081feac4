/**
 * <projector-ring>: the room on a projector: the ring's partitions coloured by owner, every node around it
 * (its name, colour, status, partitions held and hint queue), and each message as a dot travelling from
 * sender to receiver in its kind's colour. A client request at a node is a ring pulsing around it.
 * Renders what it is given (projector-model.ts); it keeps no state of its own.
 */
import { LitElement, css, svg, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { FaultRules } from '../protocol/faults.js';
import { noFaults } from '../protocol/faults.js';
import type { Flight, NodeView } from './projector-model.js';
import type { Moves } from './ring-moves.js';
import { kindStyles } from './projector-kinds.js';
import { faultOf, labelRows, roomStatus } from './projector-marks.js';
import * as format from './format.js';
import { ringGeometry } from './ring-geometry.js';

const size = 640;
const center = size / 2;
const ringOuter = 212;
const ringInner = 180;
const nodeOrbit = 262;
const nodeRadius = 36;

const { polar, sector } = ringGeometry(center);

/** n2 before n10: names compare by their digits as numbers. */
export function byName(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

const statusColor: Record<string, string> = {
  alive: '#5fd38d', suspect: '#f2c14e', dead: '#ff7b72', left: '#93a1b0', removed: '#93a1b0', isolated: '#f2c14e', 'cut off': '#f2c14e',
};
/** Rows of stacked key labels (projector-marks.ts labelRows), in viewBox units. */
const labelRowHeight = 15;

@customElement('projector-ring')
export class ProjectorRing extends LitElement {
  /** Every node the projector knows, in any order (drawn sorted by name). */
  @property({ attribute: false }) nodes: readonly NodeView[] = [];
  @property({ attribute: false }) flights: readonly { flight: Flight; progress: number }[] = [];
  /** The room's fault rules: an isolated node, or a node's side of a split, is written under it. */
  @property({ attribute: false }) faults: FaultRules = noFaults;
  /** Real ms now, to tell a silent node (no frame for a while) from a live one. */
  @property({ type: Number }) nowMs = 0;
  @property({ type: Number }) silentAfterMs = 5000;
  /** What the last membership change moved (projector-model.ts): those partitions flash, the centre says how many. */
  @property({ attribute: false }) moves: Moves | undefined;

  static override styles = css`
    :host { display: block; }
    svg { width: 100%; height: 100%; display: block; }
    text { font-family: system-ui, 'DejaVu Sans', sans-serif; fill: #e3e9ef; }
    .name { font-size: 22px; font-weight: 700; }
    .facts { font-size: 14px; fill: #c9d3dc; }
    .key { font-size: 13px; fill: #ffffff; }
    .fault { font-weight: 700; fill: #f2c14e; }
    /* The centre's caption stays legible when a message line crosses it. */
    .caption { paint-order: stroke; stroke: #0f1419; stroke-width: 5px; }
    .moved-text { fill: #f2c14e; font-weight: 600; }
    /* Ten half-second pulses: long enough to point at on a projector. */
    path.moved { animation: flash 0.5s ease-in-out 10 alternate; }
    @keyframes flash { from { fill-opacity: 0.95; } to { fill-opacity: 0.1; } }
  `;

  /** The owner of each partition, from the nodes' own reports of the partitions they own. */
  private owners(): { ringSize: number; owner: (string | undefined)[] } {
    const ringSize = Math.max(0, ...this.nodes.map((n) => n.status?.ringSize ?? 0));
    const owner: (string | undefined)[] = new Array<string | undefined>(ringSize).fill(undefined);
    for (const n of this.nodes) for (const p of n.status?.primary ?? []) if (p < ringSize) owner[p] = n.id;
    return { ringSize, owner };
  }

  /** The partitions' paths change only with ownership: kept between frames (the flights move 20 times a second). */
  private ringCache: { key: string; paths: unknown } | undefined;

  private ringPaths(ringSize: number, owner: readonly (string | undefined)[]): unknown {
    const moved = this.moves?.moved;
    const key = `${owner.join(',')}|${moved ? [...moved].join(',') : ''}`;
    if (this.ringCache?.key === key) return this.ringCache.paths;
    const paths = owner.map((o, p) => svg`<path d=${sector(ringInner, ringOuter, p / ringSize, (p + 1) / ringSize)} class=${moved?.has(p) ? 'moved' : ''}
      fill=${o ? format.nodeColor(o) : '#2b3743'} fill-opacity="0.85" stroke="#0f1419" stroke-width=${ringSize > 128 ? 0.3 : 1}></path>`);
    this.ringCache = { key, paths };
    return paths;
  }

  override render() {
    const sorted = [...this.nodes].sort((a, b) => byName(a.id, b.id));
    const where = new Map<string, [number, number]>();
    sorted.forEach((n, i) => where.set(n.id, polar(nodeOrbit, (i + 0.5) / Math.max(1, sorted.length))));
    const { ringSize, owner } = this.owners();
    return svg`<svg viewBox="0 0 ${size} ${size}" role="img" aria-label="the ring, its nodes and the messages between them">
      ${this.ringPaths(ringSize, owner)}
      ${this.renderFlights(where)}
      <text x=${center} y=${center - 8} text-anchor="middle" class="facts caption">${ringSize > 0 ? `${ringSize} partitions` : 'waiting for the nodes'}</text>
      <text x=${center} y=${center + 14} text-anchor="middle" class="facts caption">${sorted.length} node${sorted.length === 1 ? '' : 's'}</text>
      ${this.renderMoves()}
      ${sorted.map((n) => this.renderNode(n, where.get(n.id) ?? [center, center]))}
      ${this.renderLabels(where)}
    </svg>`;
  }

  private renderNode(n: NodeView, [x, y]: [number, number]) {
    const s = n.status;
    const silent = this.nowMs - n.lastSeenMs > this.silentAfterMs;
    const fault = faultOf(this.faults, n.id);
    const state = silent ? 'silent' : roomStatus(this.faults, n.id, this.nodes.map((m) => m.id), s?.state ?? 'starting');
    const ring = statusColor[state] ?? '#93a1b0';
    const color = format.nodeColor(n.id);
    const shape = s?.zone === 'peer'
      ? svg`<rect x=${x - nodeRadius} y=${y - nodeRadius} width=${2 * nodeRadius} height=${2 * nodeRadius} rx="8" fill=${color} stroke=${ring} stroke-width="5"></rect>`
      : svg`<circle cx=${x} cy=${y} r=${nodeRadius} fill=${color} stroke=${ring} stroke-width="5"></circle>`;
    const below = y > center ? 1 : -1;
    return svg`<g data-node=${n.id} opacity=${silent ? 0.45 : 1}>${shape}
      ${fault ? svg`<circle cx=${x} cy=${y} r=${nodeRadius + 9} fill="none" stroke="#f2c14e" stroke-width="3" stroke-dasharray="6 5"></circle>` : nothing}
      <text x=${x} y=${y + 8} text-anchor="middle" class="name" style="fill:#0b0f13">${n.id.slice(0, 6)}</text>
      <text x=${x} y=${y + below * (nodeRadius + 18) + (below > 0 ? 0 : 4)} text-anchor="middle" class="facts">${fault ? svg`<tspan class="fault" data-fault=${fault}>${fault}</tspan> · ` : nothing}${state === fault ? nothing : svg`<tspan data-status>${state}</tspan> · `}${s?.partitions ?? 0} parts${s && s.hints > 0 ? svg` · <tspan style="fill:#f2c14e;font-weight:700">hints ${s.hints}</tspan>` : nothing}</text>
    </g>`;
  }

  /** "k of Q moved" in the centre, under the node count, split before the ideal so it fits inside the ring. */
  private renderMoves() {
    const text = this.moves?.text;
    if (text === undefined) return nothing;
    const cut = text.indexOf(' (');
    const [first, second] = cut < 0 ? [text, ''] : [text.slice(0, cut), text.slice(cut + 1)];
    return svg`<text x=${center} y=${center + 44} text-anchor="middle" class="facts caption moved-text" data-testid="moved">${first}<tspan x=${center} dy="18">${second}</tspan></text>`;
  }

  private renderFlights(where: Map<string, [number, number]>) {
    return this.flights.map(({ flight, progress }) => this.renderFlight(flight, progress, where));
  }

  /**
   * The key labels, drawn over the nodes (a label near a node was hidden under it). Each shows once its dot
   * has left the sender and until just before it reaches the receiver, so it never prints over a node's name.
   */
  private renderLabels(where: Map<string, [number, number]>) {
    const rows = labelRows(this.flights.map(({ flight }) => flight));
    return this.flights.map(({ flight: f, progress }, i) => {
      const from = where.get(f.from);
      const to = where.get(f.to);
      const row = rows[i];
      if (!from || !to || f.from === f.to || f.key === undefined || row === undefined || progress < 0.12 || progress >= 0.85) return nothing;
      const x = from[0] + (to[0] - from[0]) * progress;
      const y = from[1] + (to[1] - from[1]) * progress;
      return svg`<text x=${x + 10} y=${y - 10 + row * labelRowHeight} class="key caption" data-label=${f.kind}>${f.key.slice(0, 14)}</text>`;
    });
  }

  private renderFlight(f: Flight, progress: number, where: Map<string, [number, number]>) {
    const from = where.get(f.from);
    const to = where.get(f.to);
    if (!from || !to) return nothing;
    const color = kindStyles[f.kind].color;
    if (f.from === f.to) {
      return svg`<circle data-flight=${f.kind} cx=${from[0]} cy=${from[1]} r=${nodeRadius + 4 + 26 * progress} fill="none" stroke=${color} stroke-width="4" opacity=${1 - progress}></circle>`;
    }
    const x = from[0] + (to[0] - from[0]) * progress;
    const y = from[1] + (to[1] - from[1]) * progress;
    const tail = Math.max(0, progress - 0.12);
    const tx = from[0] + (to[0] - from[0]) * tail;
    const ty = from[1] + (to[1] - from[1]) * tail;
    return svg`<g data-flight=${f.kind}>
      <line x1=${from[0]} y1=${from[1]} x2=${to[0]} y2=${to[1]} stroke=${color} stroke-opacity="0.3" stroke-width="2"></line>
      <line x1=${tx} y1=${ty} x2=${x} y2=${y} stroke=${color} stroke-width="5" stroke-linecap="round"></line>
      <circle cx=${x} cy=${y} r="8" fill=${color} stroke="#0f1419" stroke-width="2"></circle>
    </g>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'projector-ring': ProjectorRing }
}
