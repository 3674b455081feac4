/**
 * <lessons-view>: the guided scenarios of lessons.ts. Pick a lesson; each step says where to act and has
 * a button that drives the same controls a person would (through `run`, provided by <dynamo-app>).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { UiSnapshot } from './backend.js';
import { theme } from './theme.js';
import { lessons, type Lesson, type LessonAction } from './lessons.js';

/** The open lesson survives a reload of this tab: the wipe lesson reloads the tab halfway through. */
const openLessonKey = 'tabdynamo.openLesson';

@customElement('lessons-view')
export class LessonsView extends LitElement {
  @property({ attribute: false }) snapshot: UiSnapshot | undefined;
  /** Performs a step; resolves to a sentence saying what happened. */
  @property({ attribute: false }) run: ((action: LessonAction) => Promise<string>) | undefined;
  @state() private lessonId = sessionStorage.getItem(openLessonKey) ?? '';
  /** Step index -> what its button did last. */
  @state() private results: Record<number, string> = {};
  @state() private busyStep = -1;

  static override styles = [theme, css`
    :host { display: block; }
    .pick { display: grid; gap: 6px; }
    .pick button { text-align: left; white-space: normal; }
    .pick small { display: block; color: var(--muted); }
    ol { padding-left: 0; list-style: none; margin: 10px 0; display: grid; gap: 10px; counter-reset: step; }
    li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; counter-increment: step; }
    li::before { content: counter(step) '. '; font-weight: 700; color: var(--accent); }
    .where { font-size: 12px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--warn); }
    .step-text { margin: 4px 0 6px; }
    .result { font-size: 13px; min-height: 18px; margin-top: 4px; color: var(--muted); }
    .result.failed { color: var(--bad); }
  `];

  override render() {
    const lesson = lessons.find((l) => l.id === this.lessonId);
    if (!lesson) {
      return html`<h2>Lessons</h2>
        <p class="muted">Short guided scenarios. Open 3-5 tabs (or laptops) on the same address first.</p>
        <div class="pick">${lessons.map((l) => html`<button @click=${() => { this.open(l.id); this.results = {}; }}>
          <strong>${l.title}</strong><small>${l.tabs}: ${l.summary}</small></button>`)}</div>`;
    }
    return this.renderLesson(lesson);
  }

  private open(lessonId: string): void {
    this.lessonId = lessonId;
    sessionStorage.setItem(openLessonKey, lessonId);
  }

  private renderLesson(lesson: Lesson) {
    const members = this.snapshot?.members.filter((m) => m.status !== 'left').length ?? 0;
    return html`<div class="row"><button @click=${() => { this.open(''); }}>← All lessons</button></div>
      <h2 style="margin-top:10px">${lesson.title}</h2>
      <p class="muted">${lesson.summary}</p>
      ${members < 3 ? html`<p class="warning">Only ${members} node${members === 1 ? '' : 's'} in the ring: open at least 3 tabs.</p>` : nothing}
      <ol>${lesson.steps.map((step, i) => {
        const result = this.results[i];
        return html`<li data-testid="lesson-step">
          <span class="where">${step.where}</span>
          <p class="step-text">${step.text}</p>
          <button class="primary" ?disabled=${this.busyStep >= 0} @click=${() => this.perform(i, step.action)}>${step.button}</button>
          <div class="result ${result?.startsWith('failed') ? 'failed' : ''}" role="status">${result ?? ''}</div>
        </li>`;
      })}</ol>`;
  }

  private async perform(index: number, action: LessonAction): Promise<void> {
    if (!this.run) return;
    this.busyStep = index;
    try {
      const text = await this.run(action);
      this.results = { ...this.results, [index]: text };
    } finally {
      this.busyStep = -1;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap { 'lessons-view': LessonsView }
}
