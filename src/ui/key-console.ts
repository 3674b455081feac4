/**
 * <key-console>: put, get and delete; a get shows every sibling side by side. With siblings, the person
 * reconciles by hand: keep one, or edit a merged value, and write it back with the get's context so the
 * siblings collapse on every replica. Errors are shown in words.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend, UiReadResult, UiVersion } from './backend.js';
import { lessonTarget, theme } from './theme.js';
import * as format from './format.js';
import './sibling-card.js';

/** Siblings sorted by clock, so they keep their places across reads and tabs. */
function stableOrder(result: UiReadResult): UiReadResult {
  const versions = [...result.versions].sort((a, b) => format.clock(a.clock).localeCompare(format.clock(b.clock)));
  return { ...result, versions };
}

type Op = 'put' | 'get' | 'delete';
interface Outcome { readonly ok: boolean; readonly text: string }

@customElement('key-console')
export class KeyConsole extends LitElement {
  @property({ attribute: false }) snapshot: PeerView | undefined;
  /** The control the current lesson step points at in this view (lessons.ts ControlName), '' for none. */
  @property({ attribute: false }) highlight = '';
  @property({ attribute: false }) backend: UiBackend | undefined;
  @state() private key = '';
  @state() private value = '';
  @state() private busy = false;
  @state() private outcome: Outcome | undefined;
  @state() private read: { key: string; result: UiReadResult } | undefined;
  @state() private merged = '';

  static override styles = [theme, css`
    :host { display: block; }
    form { display: grid; grid-template-columns: 80px 1fr; gap: 8px 10px; align-items: start; max-width: 860px; }
    label { padding-top: 7px; color: var(--muted); }
    textarea { min-height: 64px; }
    .actions { grid-column: 2; }
    .outcome { min-height: 26px; margin: 10px 0; font-size: 15px; }
    .ok { color: var(--ok); }
    .siblings { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; margin-top: 6px; }
    .merge { margin-top: 14px; display: grid; gap: 8px; max-width: 860px; }
    .context { font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
  `];

  override render() {
    return html`
      <h2>Key console</h2>
      <form @submit=${(e: Event) => { e.preventDefault(); void this.run('get', this.key); }}>
        <label for="key">Key</label>
        <input id="key" name="key" autocomplete="off" .value=${this.key}
          @input=${(e: Event) => { this.key = (e.target as HTMLInputElement).value; }}>
        <label for="value">Value</label>
        <textarea id="value" name="value" .value=${this.value}
          @input=${(e: Event) => { this.value = (e.target as HTMLTextAreaElement).value; }}></textarea>
        <div class="actions row">
          <button type="button" class="primary" ?disabled=${this.busy} @click=${() => this.run('put', this.key, this.value)}>Put</button>
          <button type="submit" ?disabled=${this.busy}>Get</button>
          <button type="button" class="danger" ?disabled=${this.busy} @click=${() => this.run('delete', this.key)}>Delete</button>
          <span class="muted">Put and delete send the context of the last get of this key.</span>
        </div>
      </form>
      <div class="outcome ${this.outcome?.ok ? 'ok' : 'error'}" role="status" aria-live="polite" data-testid="outcome">${this.outcome?.text ?? ''}</div>
      ${this.read ? this.renderRead(this.read.key, this.read.result) : nothing}
    `;
  }

  private renderRead(key: string, result: UiReadResult) {
    const versions = result.versions;
    const colors = format.nodeColor;
    return html`
      <h3>${key}: ${versions.length === 0 ? 'not found' : versions.length === 1 ? 'one version' : `${versions.length} siblings (concurrent writes)`}</h3>
      ${result.warnings.map((w) => html`<p class="warning">${w}</p>`)}
      <div class="siblings" @keep=${(e: CustomEvent<UiVersion>) => this.keep(e.detail)}>
        ${versions.map((v, i) => html`<sibling-card .version=${v} .colors=${colors} index=${i + 1} count=${versions.length}></sibling-card>`)}
      </div>
      ${versions.length > 1 ? html`<div class="merge panel ${lessonTarget(this.highlight, 'merge')}">
        <label for="merged">Merged value: edit it, then write it back with the context (it covers every sibling)</label>
        <textarea id="merged" .value=${this.merged} @input=${(e: Event) => { this.merged = (e.target as HTMLTextAreaElement).value; }}></textarea>
        <div class="row"><button class="primary" ?disabled=${this.busy} @click=${() => this.writeBack(this.merged)}>Write merged value</button></div>
      </div>` : nothing}
      <p class="context mono" data-testid="context" title=${`The opaque context this get returned: ${result.context}`}>context ${format.fingerprint(result.context)}</p>
    `;
  }

  /** Fills the form and performs `op`, as a person would; resolves to what the outcome line says. */
  async run(op: Op, key: string, value = this.value): Promise<string> {
    this.key = key;
    this.value = value;
    const backend = this.backend;
    if (!backend) return 'no backend';
    if (key.length === 0) return this.say(false, 'Type a key first.');
    // The last read's card (and its warnings) speak of its key only: a request for another key clears it.
    if (this.read && this.read.key !== key) this.read = undefined;
    this.busy = true;
    try {
      const context = this.read?.key === key ? this.read.result.context : undefined;
      switch (op) {
        case 'put':
          await backend.put(key, value, context);
          return this.say(true, `Stored ${key}${context ? ' (with the context of the last get)' : ''}.`);
        case 'delete':
          await backend.delete(key, context);
          return this.say(true, `Deleted ${key}.`);
        case 'get': {
          const result = stableOrder(await backend.get(key));
          this.read = { key, result };
          this.merged = result.versions.filter((v) => v.kind !== 'tombstone').map((v) => v.text ?? '').join('\n');
          const n = result.versions.length;
          return this.say(true, n === 0 ? `${key} not found.` : `Read ${key}: ${n === 1 ? 'one version' : `${n} siblings`}.`);
        }
        default: {
          const never: never = op;
          throw new Error(`unknown op ${String(never)}`);
        }
      }
    } catch (error) {
      return this.say(false, `${op} failed: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** The values (tombstones as "(deleted)") of the last read shown, when it was of `key`. */
  lastValues(key: string): readonly string[] | undefined {
    if (this.read?.key !== key) return undefined;
    return this.read.result.versions.map((v) => (v.kind === 'tombstone' ? '(deleted)' : v.text ?? ''));
  }

  private say(ok: boolean, text: string): string {
    this.outcome = { ok, text };
    return text;
  }

  private keep(version: UiVersion): Promise<string> {
    return this.writeBack(version.text ?? '', version.kind === 'tombstone');
  }

  /** Writes `value` with the context of the get, so the new version descends from every sibling. */
  private async writeBack(value: string, tombstone = false): Promise<string> {
    const read = this.read;
    const backend = this.backend;
    if (!read || !backend) return 'nothing to reconcile';
    this.busy = true;
    try {
      if (tombstone) await backend.delete(read.key, read.result.context);
      else await backend.put(read.key, value, read.result.context);
      const result = stableOrder(await backend.get(read.key));
      this.read = { key: read.key, result };
      return this.say(true, `Reconciled ${read.key}: now ${result.versions.length === 1 ? 'one version' : `${result.versions.length} versions`}.`);
    } catch (error) {
      return this.say(false, `write-back failed: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap { 'key-console': KeyConsole }
}
