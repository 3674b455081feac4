/**
 * <dynamo-app>: the whole classroom UI for one tab. Give it a backend (`app.backend = runtimeBackend`);
 * it subscribes to the snapshots (throttled by SnapshotController) and hands them to the views.
 * Layout: a header (this node, signaling, N/R/W), the fault banner (same on every tab), a view switcher,
 * the current view, and the lessons panel on the right.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend } from './backend.js';
import { SnapshotController } from './snapshot-controller.js';
import { theme } from './theme.js';
import * as format from './format.js';
import * as viewFormat from './view-format.js';
import type { LessonAction, LessonControl, ViewName } from './lessons.js';
import type { KeyConsole } from './key-console.js';
import type { RingView } from './ring-view.js';
import type { LatestLocation } from './lesson-check.js';
import './key-console.js';
import './ring-view.js';
import './members-view.js';
import './partition-control.js';
import './activity-view.js';
import './settings-view.js';
import './lessons-view.js';
import { runLessonAction, type StepOutcome } from './lesson-runner.js';

const views: readonly { readonly name: ViewName; readonly label: string }[] = [
  { name: 'keys', label: 'Key console' },
  { name: 'ring', label: 'Ring' },
  { name: 'members', label: 'Members' },
  { name: 'partitions', label: 'Partitions' },
  { name: 'activity', label: 'Activity' },
  { name: 'settings', label: 'Settings' },
];

@customElement('dynamo-app')
export class DynamoApp extends LitElement {
  /** Where snapshots come from and actions go. */
  @property({ attribute: false }) backend: UiBackend | undefined;
  @state() private view: ViewName = 'keys';
  @state() private lessonsOpen = true;
  /** The control the current lesson step points at (lessons-view announces it); highlighted in its view. */
  @state() private lessonControl: LessonControl | undefined;
  /** The ring view's latest location of its key (its `key-located` event), for the lesson panel's checks. */
  @state() private located: LatestLocation | undefined;
  @query('key-console') private keyConsole!: KeyConsole;
  @query('ring-view') private ringView!: RingView;
  private readonly snapshots = new SnapshotController(this);
  private readonly lastShown = new Map<ViewName, PeerView>();

  static override styles = [theme, css`
    :host { display: block; height: 100vh; background: var(--bg); }
    .app { display: grid; grid-template-rows: 52px 40px 1fr; height: 100%; }
    header { display: flex; align-items: center; gap: 16px; padding: 0 16px; border-bottom: 1px solid var(--line); }
    header h1 { font-size: 19px; margin: 0; font-weight: 650; letter-spacing: 0.02em; }
    .me { display: flex; align-items: center; gap: 8px; }
    .signal { font-size: 14px; }
    .banner { display: flex; align-items: center; gap: 10px; padding: 0 16px; font-size: 15px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
    .banner.healthy { color: var(--muted); background: #121a21; }
    .banner.faulty { color: #1b1300; background: var(--warn); font-weight: 600; }
    .body { display: grid; grid-template-columns: 150px 1fr auto; min-height: 0; }
    nav { display: flex; flex-direction: column; gap: 4px; padding: 12px 8px; border-right: 1px solid var(--line); }
    nav button { text-align: left; border-color: transparent; background: transparent; }
    nav button[aria-current='page'] { background: var(--panel-2); border-color: var(--line); color: var(--accent); font-weight: 600; }
    main { min-width: 0; overflow: auto; padding: 14px 16px; }
    aside { width: 330px; border-left: 1px solid var(--line); overflow: auto; padding: 12px 14px; }
    .spacer { flex: 1; }
    [hidden] { display: none !important; }
  `];

  /** The node the tab's title and favicon were last set for. */
  private titledFor = '';

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('backend')) this.snapshots.backend = this.backend;
    const id = this.snapshots.value?.identity.nodeId;
    if (id && id !== this.titledFor) {
      this.titledFor = id;
      showIdentity(id);
    }
  }

  override render() {
    const s = this.snapshots.value;
    if (!this.backend || !s) return html`<div class="app"><p class="muted" style="padding:16px">Starting this node…</p></div>`;
    return html`<div class="app">
      ${this.renderHeader(s)}
      ${this.renderBanner(s)}
      <div class="body">
        <nav aria-label="Views">
          ${views.map((v) => html`<button aria-current=${this.view === v.name ? 'page' : 'false'}
            class=${this.lessonControl?.view === v.name && this.view !== v.name ? 'lesson-target' : ''}
            @click=${() => { this.view = v.name; }}>${v.label}</button>`)}
          <span class="spacer"></span>
          <button aria-pressed=${this.lessonsOpen ? 'true' : 'false'} @click=${() => { this.lessonsOpen = !this.lessonsOpen; this.lessonControl = undefined; }}>
            ${this.lessonsOpen ? 'Hide lessons' : 'Lessons'}</button>
        </nav>
        <main>${this.renderViews(s, this.backend)}</main>
        ${this.lessonsOpen ? html`<aside aria-label="Lessons"><lessons-view .snapshot=${s} .located=${this.located}
          .run=${(action: LessonAction) => this.onLessonAction(action)}
          @lesson-control=${(e: CustomEvent<LessonControl | undefined>) => { this.lessonControl = e.detail; }}></lessons-view></aside>` : nothing}
      </div>
    </div>`;
  }

  private renderHeader(s: PeerView) {
    const { signaling, signalingDetail: detail } = s.network;
    const me = s.identity;
    const epoch = s.node?.epoch ?? 0;
    const config = viewFormat.config(s);
    const sigText = signaling === 'open' ? 'signaling connected'
      : signaling === 'connecting' ? 'connecting to signaling…'
        : `signaling server unreachable: still serving over open connections${detail ? ` (${detail})` : ''}`;
    return html`<header>
      <h1>tabdynamo</h1>
      <span class="me" title="This tab's node">
        <span class="dot" style="background:${format.nodeColor(me.nodeId)}"></span>
        <strong class="mono" data-testid="self-id">${me.nodeId}</strong>
        <span class="muted" title=${`host ${me.hostId}, life …${String(epoch).slice(-4)}`}
          data-testid="self-host">on host ${format.hostLabel(me.hostId)}</span>
      </span>
      <span class="spacer"></span>
      <span class="mono" data-testid="nrw">N=${config.n} R=${config.r} W=${config.w}</span>
      <span class="signal ${signaling === 'open' ? 'muted' : signaling === 'connecting' ? 'warning' : 'error'}"
        role="status" data-testid="signaling">${sigText}</span>
    </header>`;
  }

  private renderBanner(s: PeerView) {
    const text = viewFormat.bannerText(s);
    return html`<div class="banner ${text ? 'faulty' : 'healthy'}" role="status" data-testid="fault-banner"
      >${text ? `⚠ ${text}` : 'Network healthy: every node can reach every other.'}</div>`;
  }

  /**
   * Every view stays mounted (its inputs and last result survive switching); only the visible one gets new
   * snapshots, so hidden views cost nothing per snapshot.
   */
  private renderViews(s: PeerView, b: UiBackend) {
    this.lastShown.set(this.view, s);
    const snap = (name: ViewName) => this.lastShown.get(name);
    const hide = (name: ViewName) => this.view !== name;
    // The name of the control to highlight in a view, '' for none.
    const hl = (name: ViewName) => (this.lessonControl?.view === name ? this.lessonControl.name : '');
    return html`
      <key-console ?hidden=${hide('keys')} .snapshot=${snap('keys')} .backend=${b} .highlight=${hl('keys')}></key-console>
      <ring-view ?hidden=${hide('ring')} .snapshot=${snap('ring')} .backend=${b}
        @key-located=${(e: CustomEvent<LatestLocation>) => { this.located = e.detail; }}></ring-view>
      <members-view ?hidden=${hide('members')} .snapshot=${snap('members')} .backend=${b} .highlight=${hl('members')}></members-view>
      <partition-control ?hidden=${hide('partitions')} .snapshot=${snap('partitions')} .backend=${b} .highlight=${hl('partitions')}></partition-control>
      <activity-view ?hidden=${hide('activity')} .snapshot=${snap('activity')} .highlight=${hl('activity')}></activity-view>
      <settings-view ?hidden=${hide('settings')} .snapshot=${snap('settings')} .backend=${b} .highlight=${hl('settings')}></settings-view>`;
  }

  /** Shows a view and waits for it to render, so a lesson can drive its controls. */
  async show(view: ViewName): Promise<void> {
    this.view = view;
    await this.updateComplete;
  }

  /** Performs a lesson step; resolves to what happened (errors in words, too). */
  private async onLessonAction(action: LessonAction): Promise<StepOutcome> {
    const backend = this.backend;
    const snapshot = this.snapshots.value;
    if (!backend || !snapshot) return { text: 'failed: this tab has no node yet' };
    return runLessonAction(action, {
      backend,
      snapshot,
      show: (view) => this.show(view),
      keyConsole: () => this.keyConsole,
      ringView: () => this.ringView,
    });
  }
}

/** Puts the node's name and color on the browser tab: title "n2 · tabdynamo" and a colored-dot favicon. */
function showIdentity(id: string): void {
  document.title = `${id} · tabdynamo`;
  const dot = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="${format.nodeColor(id)}"/></svg>`;
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement('link');
    link.rel = 'icon';
    document.head.append(link);
  }
  link.type = 'image/svg+xml';
  link.href = `data:image/svg+xml,${encodeURIComponent(dot)}`;
}

declare global {
  interface HTMLElementTagNameMap { 'dynamo-app': DynamoApp }
}
