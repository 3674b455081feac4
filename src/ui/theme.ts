/**
 * Shared styles: a calm dark theme sized for a projector at 1280x720 as well as a laptop.
 * Numbers use tabular figures so counters never shift the layout; focus is always visible.
 */
import { css } from 'lit';
import type { ControlName } from './lessons.js';

export const theme = css`
  :host {
    --bg: #0f1419;
    --panel: #171e26;
    --panel-2: #1e2731;
    --line: #2b3743;
    --text: #e3e9ef;
    --muted: #93a1b0;
    --accent: #6cb6ff;
    --ok: #5fd38d;
    --warn: #f2c14e;
    --bad: #ff7b72;
    --focus: #ffd866;
    --radius: 8px;
    --mono: ui-monospace, 'DejaVu Sans Mono', 'Cascadia Mono', Menlo, monospace;
    color: var(--text);
    font-family: system-ui, 'Segoe UI', 'DejaVu Sans', Roboto, sans-serif;
    font-size: 15px;
    line-height: 1.4;
    font-variant-numeric: tabular-nums;
    box-sizing: border-box;
  }
  *, *::before, *::after { box-sizing: inherit; }
  h2 { font-size: 17px; font-weight: 600; margin: 0 0 10px; letter-spacing: 0.01em; }
  h3 { font-size: 15px; font-weight: 600; margin: 0 0 6px; color: var(--muted); }
  p { margin: 0 0 8px; }
  .muted { color: var(--muted); }
  .mono { font-family: var(--mono); font-size: 14px; }
  .panel {
    background: var(--panel);
    border: 1px solid var(--line);
    border-radius: var(--radius);
    padding: 14px 16px;
  }
  button, input, select, textarea {
    font: inherit;
    color: var(--text);
    background: var(--panel-2);
    border: 1px solid var(--line);
    border-radius: 6px;
  }
  input, select, textarea { padding: 6px 8px; }
  textarea { font-family: var(--mono); font-size: 14px; resize: vertical; }
  button {
    padding: 6px 12px;
    cursor: pointer;
    white-space: nowrap;
  }
  button:hover:not(:disabled) { border-color: var(--accent); }
  button:disabled { opacity: 0.5; cursor: default; }
  button.primary { background: #1f4e7a; border-color: #2f6ea8; }
  button.danger { background: #5a2424; border-color: #8a3a3a; }
  :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  /* The control the current lesson step points at (lessons.ts LessonControl): the same pulsing ring as
     the step's own button, so "press here" looks alike in the panel and in the views. */
  .lesson-target { box-shadow: 0 0 0 3px var(--accent); border-radius: 6px; animation: lesson-pulse 1.2s ease-in-out infinite alternate; }
  @keyframes lesson-pulse { from { box-shadow: 0 0 0 1px var(--accent); } to { box-shadow: 0 0 0 4px var(--accent); } }
  .row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  .grow { flex: 1 1 auto; min-width: 0; }
  .dot {
    display: inline-block;
    width: 12px;
    height: 12px;
    border-radius: 50%;
    flex: none;
    vertical-align: -1px;
  }
  .pill {
    display: inline-block;
    padding: 1px 8px;
    border-radius: 999px;
    font-size: 13px;
    border: 1px solid var(--line);
    white-space: nowrap;
  }
  .pill.alive { color: var(--ok); border-color: #2e6b47; }
  .pill.suspect { color: var(--warn); border-color: #7a6424; }
  .pill.dead { color: var(--bad); border-color: #7a3030; }
  .pill.left { color: var(--muted); }
  .error { color: var(--bad); }
  .warning { color: var(--warn); }
  table { border-collapse: collapse; width: 100%; }
  th { text-align: left; font-weight: 600; color: var(--muted); font-size: 13px; }
  th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  td.num, th.num { text-align: right; }
  .visually-hidden {
    position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
  }
`;

/** The class of a control a lesson step points at: 'lesson-target' when `highlight` (a view's property) names it. */
export function lessonTarget(highlight: string, name: ControlName): string {
  return highlight === name ? 'lesson-target' : '';
}
