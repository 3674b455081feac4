/**
 * <projector-merkle>: the Merkle tree of the partition under repair (core/merkle.ts: a root, 16 children,
 * 16 x 16 buckets), as the two nodes compare it: each level they exchanged, the branches found to differ lit,
 * and the keys pushed once the differing leaves were known. Only the children of differing branches are
 * drawn at the bucket level (at most four), which is all the exchange itself ever looks at.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { merkleHoldMs, type MerkleDrawing } from './projector-model.js';
import { theme } from './theme.js';
import * as format from './format.js';

const fanOut = 16;
const parentsShownMax = 4;

@customElement('projector-merkle')
export class ProjectorMerkle extends LitElement {
  @property({ attribute: false }) drawing: MerkleDrawing | undefined;
  /** The projector's clock (real ms, performance.now()): a drawing whose last message is older is dimmed and dated. */
  @property({ attribute: false }) nowMs = 0;

  static override styles = [theme, css`
    :host { display: block; }
    .tree { display: grid; gap: 8px; justify-items: center; }
    .level { display: flex; gap: 3px; align-items: center; }
    .label { width: 86px; font-size: 13px; color: var(--muted); text-align: right; margin-right: 6px; }
    .cell { width: 17px; height: 17px; border-radius: 3px; background: #2b3743; border: 1px solid #3a4957; }
    .cell.lit { background: #ff7b72; border-color: #ffb3ad; box-shadow: 0 0 8px #ff7b72; }
    .cell.root { width: 40px; }
    .group { display: flex; gap: 2px; padding: 2px; border: 1px dashed #ff7b72; border-radius: 4px; }
    .keys { display: flex; flex-wrap: wrap; gap: 6px; min-height: 26px; }
    .key { font-family: var(--mono); font-size: 14px; padding: 1px 8px; border-radius: 999px; background: #3b2d5c; color: #e0d2ff; }
    .who { font-size: 15px; }
    /* An exchange that ended: still shown (it is the last one), but dimmed and dated, never mistaken for now. */
    .ended .tree, .ended .keys { opacity: 0.5; }
  `];

  override render() {
    const d = this.drawing;
    if (!d) return html`<p class="muted">No repair yet. A Merkle tree is drawn here when two replicas of a partition disagree
      (for example after a wipe): at 1/10x speed its descent takes several seconds.</p>`;
    const parents = [...d.level1].sort((a, b) => a - b);
    const ageMs = this.nowMs - d.lastMs;
    const ended = ageMs > merkleHoldMs;
    return html`<div class=${ended ? 'ended' : ''}><p class="who"><span class="dot" style="background:${format.nodeColor(d.from)}"></span> <b>${d.from}</b> and
      <span class="dot" style="background:${format.nodeColor(d.to)}"></span> <b>${d.to}</b> ${ended ? 'compared' : 'compare'} partition <b>${d.partition}</b>${ended
        ? html` <span class="muted" data-testid="merkle-age">· ${Math.round(ageMs / 1000)} s ago</span>` : nothing}</p>
      <div class="tree" aria-label="Merkle tree of partition ${d.partition}">
        <div class="level"><span class="label">root</span><span class="cell root ${d.rootDiffers ? 'lit' : ''}" title="roots differ"></span></div>
        <div class="level"><span class="label">16 branches</span>
          ${Array.from({ length: fanOut }, (_, i) => html`<span class="cell ${d.level1.has(i) ? 'lit' : ''}" data-level="1" data-index=${i}></span>`)}</div>
        <div class="level"><span class="label">buckets</span>
          ${parents.length === 0 ? html`<span class="muted">${ended ? '(not reached)' : '(not compared yet)'}</span>` : nothing}
          ${parents.slice(0, parentsShownMax).map((p) => html`<span class="group" title="children of branch ${p}">
            ${Array.from({ length: fanOut }, (_, i) => html`<span class="cell ${d.buckets.has(p * fanOut + i) ? 'lit' : ''}" data-level="2"></span>`)}</span>`)}
          ${parents.length > parentsShownMax ? html`<span class="muted">+${parents.length - parentsShownMax}</span>` : nothing}</div>
      </div>
      <h3 style="margin-top:10px">Keys pushed</h3>
      <div class="keys">${d.pushed.length === 0 ? html`<span class="muted">${ended ? 'none' : 'none yet'}</span>` : d.pushed.map((k) => html`<span class="key">${k}</span>`)}</div></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'projector-merkle': ProjectorMerkle }
}
