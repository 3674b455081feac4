/**
 * <projector-time-control>: the teacher's pause, resume, single step and speed buttons, for the projector
 * view and the teacher's tab. It calls the given controls (kv.pause() and friends, or the projector's own
 * copy of them); a class-link page shows them disabled with the reason, and any refusal is shown as text.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { TimeKv } from '../runtime/time-api.js';
import * as timeControl from '../protocol/time-control.js';
import { theme } from './theme.js';

export const speeds: readonly { readonly speed: number; readonly label: string }[] = [
  { speed: 1, label: '1x' }, { speed: 0.5, label: '1/2x' }, { speed: 0.2, label: '1/5x' }, { speed: 0.1, label: '1/10x' }, { speed: 0.05, label: '1/20x' },
];

@customElement('projector-time-control')
export class ProjectorTimeControl extends LitElement {
  @property({ attribute: false }) controls: TimeKv | undefined;
  /** 'teacher' enables the buttons. */
  @property() authority = 'unknown';
  /** The room's setting now (the element re-renders when it changes). */
  @property({ attribute: false }) setting: timeControl.TimeSetting = timeControl.normalTime;
  @state() private error = '';

  static override styles = [theme, css`
    :host { display: inline-flex; align-items: center; gap: 8px; }
    .now { font-weight: 700; min-width: 130px; }
    .now.paused { color: var(--warn); }
    .error { font-size: 13px; max-width: 320px; }
    /* In a tab's one-line status bar (projector-teacher-tools.ts): as tall as its text. */
    :host([compact]) { gap: 6px; }
    :host([compact]) button, :host([compact]) select { padding: 0 8px; font-size: 12px; }
    :host([compact]) .now { min-width: 0; }
  `];

  private async run(action: (c: TimeKv) => Promise<void>): Promise<void> {
    if (!this.controls) return;
    try {
      await action(this.controls);
      this.error = '';
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }

  override render() {
    const teacher = this.authority === 'teacher';
    const s = this.setting;
    const why = teacher ? '' : 'teacher only: open the teacher link';
    return html`<span class="now ${s.paused ? 'paused' : ''}" data-time>${timeControl.describe(s)}</span>
      ${s.paused
        ? html`<button class="primary" ?disabled=${!teacher} title=${why} @click=${() => this.run((c) => c.resume())}>Resume</button>`
        : html`<button ?disabled=${!teacher} title=${why} @click=${() => this.run((c) => c.pause())}>Pause</button>`}
      <button ?disabled=${!teacher} title=${why || 'advance every node by one tick'} @click=${() => this.run((c) => c.step())}>Step</button>
      <label>Speed <select ?disabled=${!teacher} title=${why} aria-label="speed"
        @change=${(e: Event) => { const v = Number((e.target as HTMLSelectElement).value); void this.run((c) => c.setSpeed(v)); }}>
        ${speeds.map((x) => html`<option value=${x.speed} ?selected=${Math.abs(x.speed - s.speed) < 1e-9}>${x.label}</option>`)}
      </select></label>
      ${this.error ? html`<span class="error" role="alert">${this.error}</span>` : ''}`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'projector-time-control': ProjectorTimeControl }
}
