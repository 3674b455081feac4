/**
 * <lessons-view>: the guided scenarios of lessons.ts. Pick a lesson; each step says where to act and has
 * a button that drives the same controls a person would (through `run`, provided by <dynamo-app>).
 * To fit a 1280x720 projector without scrolling, only the current step (the one after the last performed)
 * shows its text; the others are one line each (their button and result), their text in a tooltip.
 * The current step names its tab by node name, its button (the control to press) pulses, and above it the
 * previous step's outcome is checked against the live snapshot (lesson-check.ts): a tick, or what to do.
 * Once the last step is done, the lesson's verdict (the last step's check) stands below the steps. The
 * summary shows until the first step is done (then its room goes to the checks).
 * The current step's control in another view (lessons.ts LessonControl) is announced with a
 * `lesson-control` event (detail: the control, or undefined), so <dynamo-app> can highlight it there.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { PeerView } from '../runtime/peer-view.js';
import { theme } from './theme.js';
import { lessons, type Lesson, type LessonAction, type LessonControl } from './lessons.js';
import * as lessonCheck from './lesson-check.js';
import * as viewFormat from './view-format.js';
import type { StepOutcome } from './lesson-runner.js';

/** The open lesson survives a reload of this tab: the wipe lesson reloads the tab halfway through. */
const openLessonKey = 'tabdynamo.openLesson';

@customElement('lessons-view')
export class LessonsView extends LitElement {
  @property({ attribute: false }) snapshot: PeerView | undefined;
  /** Performs a step; resolves to what happened. */
  @property({ attribute: false }) run: ((action: LessonAction) => Promise<StepOutcome>) | undefined;
  /** The ring view's latest location of its key: a locate step's check follows it (lesson-check.ts). */
  @property({ attribute: false }) located: lessonCheck.LatestLocation | undefined;
  @state() private lessonId = sessionStorage.getItem(openLessonKey) ?? '';
  /** Step index -> what its button did last. */
  @state() private results: Record<number, StepOutcome> = {};
  @state() private busyStep = -1;
  /** The step whose text is shown: the one after the last performed (or the one the person picked). */
  @state() private current = 0;

  static override styles = [theme, css`
    :host { display: block; }
    .pick { display: grid; gap: 6px; }
    .pick button { text-align: left; white-space: normal; }
    .pick small { display: block; color: var(--muted); }
    h2 { margin: 8px 0 4px; }
    .summary { font-size: 14px; margin-bottom: 6px; }
    /* Tight enough for the longest lesson (9 steps) under the teacher's status bar at 1280x720. */
    ol { padding-left: 0; list-style: none; margin: 6px 0; display: grid; gap: 3px; counter-reset: step; }
    li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 2px 8px; counter-increment: step;
      display: grid; grid-template-columns: 22px 1fr; column-gap: 4px; align-items: center; }
    li::before { content: counter(step) '.'; font-weight: 700; color: var(--accent); }
    li.current { border-color: var(--accent); padding: 6px 8px; }
    li.current::before { align-self: start; }
    .line { display: flex; gap: 8px; align-items: center; min-width: 0; }
    .where { font-size: 12px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--warn); }
    .step-text { margin: 2px 0 6px; font-size: 14px; }
    li:not(.current) button { padding: 2px 10px; font-size: 14px; }
    .result { font-size: 13px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
    .result.failed { color: var(--bad); }
    .check { margin: 0 0 4px; font-size: 14px; }
    .check.ok { color: var(--ok); }
    .check.bad { color: var(--bad); font-weight: 600; }
    .verdict { border: 2px solid var(--ok); border-radius: 6px; padding: 6px 8px; margin: 0; font-size: 15px; }
    .verdict.bad { border-color: var(--bad); }
    li.current button.primary { animation: pulse 1.2s ease-in-out infinite alternate; }
    @keyframes pulse { from { box-shadow: 0 0 0 0 var(--accent); } to { box-shadow: 0 0 0 4px var(--accent); } }
  `];

  override render() {
    const lesson = lessons.find((l) => l.id === this.lessonId);
    if (!lesson) {
      return html`<h2>Lessons</h2>
        <p class="muted">Short guided scenarios. Open 3-5 tabs (or laptops) on the same address first.</p>
        <div class="pick">${lessons.map((l) => html`<button @click=${() => { this.open(l.id); this.results = {}; this.current = 0; }}>
          <strong>${l.title}</strong><small>${l.tabs}: ${l.summary}</small></button>`)}</div>`;
    }
    return this.renderLesson(lesson);
  }

  private open(lessonId: string): void {
    this.lessonId = lessonId;
    sessionStorage.setItem(openLessonKey, lessonId);
  }

  private renderLesson(lesson: Lesson) {
    const members = this.snapshot ? viewFormat.activeIds(this.snapshot).length : 0;
    const last = lesson.steps.length - 1;
    const finished = this.current > last && this.results[last] !== undefined;
    return html`<div class="row"><button @click=${() => { this.open(''); }}>← All lessons</button></div>
      <h2>${lesson.title}</h2>
      ${Object.keys(this.results).length === 0 ? html`<p class="muted summary">${lesson.summary}</p>` : nothing}
      ${members < 3 ? html`<p class="warning">Only ${members} node${members === 1 ? '' : 's'} in the ring: open at least 3 tabs.</p>` : nothing}
      <ol>${lesson.steps.map((step, i) => {
        const result = this.results[i]?.text;
        const current = !finished && i === Math.min(this.current, last);
        const button = html`<button class="primary" ?disabled=${this.busyStep >= 0} @click=${() => this.perform(i, step.action)}>${step.button}</button>`;
        const said = html`<span class="result ${result?.startsWith('failed') ? 'failed' : ''}" role="status" title=${result ?? ''}>${result ?? ''}</span>`;
        const previous = current ? this.verdict(lesson, i - 1) : undefined;
        return current
          ? html`<li data-testid="lesson-step" class="current"><div>
              ${previous ? html`<p class="check ${previous.ok ? 'ok' : 'bad'}" data-testid="lesson-check">${previous.ok ? '✓' : '✗'} Step ${i}: ${previous.text}</p>` : nothing}
              <span class="where">${lessonCheck.where(step, this.snapshot)}</span>
              <p class="step-text">${step.text}</p>
              <div class="line">${button}${said}</div></div></li>`
          : html`<li data-testid="lesson-step" title=${`${step.where}: ${step.text}`}
              @click=${(e: Event) => { if (!(e.target instanceof HTMLButtonElement)) this.current = i; }}>
              <div class="line">${button}${result === undefined ? html`<span class="where">${step.where}</span>` : nothing}${said}</div></li>`;
      })}</ol>
      ${finished ? this.renderVerdict(lesson) : nothing}`;
  }

  /** The check of step `index` (counting from 0) once performed, against the snapshot now. */
  private verdict(lesson: Lesson, index: number): lessonCheck.Verdict | undefined {
    const step = lesson.steps[index];
    const outcome = this.results[index];
    if (!step || !outcome || !this.snapshot) return undefined;
    return lessonCheck.check(step, outcome, this.snapshot, this.located);
  }

  /** The lesson's outcome: the last step's check, live; a step with nothing to check just says it is done. */
  private renderVerdict(lesson: Lesson) {
    const v = this.verdict(lesson, lesson.steps.length - 1) ?? { ok: true, text: 'every step done.' };
    return html`<p class="verdict ${v.ok ? 'ok' : 'bad'}" role="status" data-testid="lesson-verdict">${v.ok ? '✓ Lesson done' : '✗ Not yet'}: ${v.text}</p>`;
  }

  /** The control the current step points at, announced when it changes (see the class comment). */
  private announced: LessonControl | undefined;

  override updated(): void {
    const lesson = lessons.find((l) => l.id === this.lessonId);
    const control = lesson?.steps[this.current]?.control;
    if (control?.view === this.announced?.view && control?.name === this.announced?.name) return;
    this.announced = control;
    this.dispatchEvent(new CustomEvent<LessonControl | undefined>('lesson-control', { detail: control, bubbles: true, composed: true }));
  }

  private async perform(index: number, action: LessonAction): Promise<void> {
    if (!this.run) return;
    this.busyStep = index;
    try {
      const outcome = await this.run(action);
      this.results = { ...this.results, [index]: outcome };
      this.current = index + 1;
    } finally {
      this.busyStep = -1;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap { 'lessons-view': LessonsView }
}
