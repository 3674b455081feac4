/**
 * Carries out one lesson step through the same controls a person uses: puts and gets go through the key
 * console (so its inputs and result show what happened), locates through the ring view, faults and
 * settings through the backend with the matching view shown.
 */
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend } from './backend.js';
import type { KeyConsole } from './key-console.js';
import type { LessonAction, ViewName } from './lessons.js';
import type { RingView } from './ring-view.js';
import * as viewFormat from './view-format.js';

export interface LessonContext {
  readonly backend: UiBackend;
  readonly snapshot: PeerView;
  show(view: ViewName): Promise<void>;
  keyConsole(): KeyConsole;
  ringView(): RingView;
}

/**
 * What a performed step said, and what it saw that its check needs (lesson-check.ts): the values a read
 * returned, the fallbacks a locate found.
 */
export interface StepOutcome {
  readonly text: string;
  readonly values?: readonly string[];
  readonly fallbacks?: readonly string[];
}


/** Resolves to what happened, for the lesson panel; an error comes back as words, never thrown. */
export async function runLessonAction(action: LessonAction, ctx: LessonContext): Promise<StepOutcome> {
  try {
    return await perform(action, ctx);
  } catch (error) {
    return { text: `failed: ${(error as Error).message}` };
  }
}

async function perform(action: LessonAction, ctx: LessonContext): Promise<StepOutcome> {
  switch (action.kind) {
    case 'locate': {
      await ctx.show('ring');
      const where = await ctx.ringView().probe(action.key);
      if (!where) return { text: `could not locate ${action.key}` };
      return { text: `located ${action.key}`, fallbacks: where.fallbacks };
    }
    case 'get': {
      await ctx.show('keys');
      const text = await ctx.keyConsole().run('get', action.key);
      const values = ctx.keyConsole().lastValues(action.key);
      return values ? { text, values } : { text };
    }
    default:
      return { text: await performSaying(action, ctx) };
  }
}

async function performSaying(action: LessonAction, ctx: LessonContext): Promise<string> {
  const { backend, snapshot } = ctx;
  switch (action.kind) {
    case 'locate':
    case 'get':
      throw new Error(`${action.kind} is performed by perform()`);
    case 'show':
      await ctx.show(action.view);
      return `showing ${action.view}`;
    case 'put':
      await ctx.show('keys');
      return ctx.keyConsole().run('put', action.key, action.value);
    case 'put-many': {
      for (let i = 0; i < action.count; i += 1) await backend.put(`${action.prefix}${i}`, `value ${i}`);
      return `wrote ${action.count} keys`;
    }
    case 'split-halves': {
      const ids = viewFormat.activeIds(snapshot);
      const mine = ids.slice(0, Math.ceil(ids.length / 2));
      const first = mine.includes(snapshot.identity.nodeId) ? mine : ids.filter((id) => !mine.includes(id));
      await backend.partition([first]);
      await ctx.show('partitions');
      return `split: {${first.join(', ')}} and the rest`;
    }
    case 'isolate-replica': {
      const where = await backend.locate(action.key);
      const victim = where.replicas.find((id) => id !== snapshot.identity.nodeId);
      if (!victim) return 'no other replica to isolate: open more tabs';
      await backend.isolate(victim);
      await ctx.show('partitions');
      return `isolated ${victim}`;
    }
    case 'isolate-self':
      await backend.isolate(snapshot.identity.nodeId);
      await ctx.show('partitions');
      return `isolated this tab (${snapshot.identity.nodeId})`;
    case 'heal':
      await backend.heal();
      await ctx.show('partitions');
      return 'healed';
    case 'configure':
      await backend.configure({
        ...(action.n !== undefined ? { n: action.n } : {}),
        ...(action.r !== undefined ? { r: action.r } : {}),
        ...(action.w !== undefined ? { w: action.w } : {}),
      });
      await ctx.show('settings');
      return 'settings changed';
    case 'capacity':
      await backend.setCapacity(action.capacity);
      await ctx.show('members');
      return `capacity ${action.capacity}`;
    case 'leave':
      await backend.leave();
      await ctx.show('ring');
      return 'left the ring';
    case 'join':
      await backend.join();
      await ctx.show('ring');
      return 'joined the ring';
    case 'wipe':
      if (!backend.wipe) return 'wipe by hand: close this tab, clear the site data, reopen it with the same ?node=';
      await backend.wipe();
      await ctx.show('activity');
      return 'storage wiped';
    default: {
      const never: never = action;
      throw new Error(`unknown lesson action ${JSON.stringify(never)}`);
    }
  }
}
