/** The chat stream: Teams-style system lines, people's messages and Herald's posts (cards rendered). */
import type { TimelineEntry } from '../../sim/playground/Timeline.js';
import { isAdaptiveCard, renderCard, type ExecuteHandler } from './cards.js';
import { avatar, el, heraldAvatar, timeOf } from './dom.js';
import { renderMessageText, renderRichText } from './richText.js';

export interface StreamContext {
  actingUserId: string;
  dark: boolean;
  /** Presses a card button as the acting person; resolves with the card Herald answers with (their own view). */
  pressCardAction?: (activityId: string, verb: string, data: Record<string, unknown>) => Promise<unknown>;
}

function bubble(meta: HTMLElement, body: Array<Node | null>): HTMLElement {
  return el('div', { className: 'bubble' }, [meta, ...body]);
}

function metaLine(name: string, at: string, extra: string | null = null): HTMLElement {
  return el('div', { className: 'meta' }, [
    el('span', { className: 'name', text: name }),
    el('time', { className: 'time', text: timeOf(at), attrs: { datetime: at } }),
    extra ? el('span', { className: 'tag', text: extra }) : null,
  ]);
}

/** A card host whose buttons reach Herald; the answer replaces the card for the person who pressed. */
function interactiveCard(content: unknown, activityId: string, ctx: StreamContext): HTMLElement | null {
  const host = el('div', { className: 'card-host', attrs: { 'data-card': 'adaptive' } });
  const press = ctx.pressCardAction;
  const show = (card: unknown): boolean => {
    const onExecute: ExecuteHandler | undefined = press
      ? (verb, data) => {
          host.setAttribute('data-busy', 'true');
          press(activityId, verb, data).then(
            (answer) => {
              host.removeAttribute('data-busy');
              if (answer) show(answer);
            },
            () => host.removeAttribute('data-busy'),
          );
        }
      : undefined;
    const rendered = renderCard(card, ctx.dark, onExecute);
    if (!rendered) return false;
    host.replaceChildren(rendered);
    return true;
  };
  return show(content) ? host : null;
}

function postBody(entry: Extract<TimelineEntry, { kind: 'post' }>, ctx: StreamContext): Node[] {
  if (entry.deleted) return [el('div', { className: 'text', text: 'This message has been deleted.' })];
  const cards = entry.attachments
    .filter(isAdaptiveCard)
    .map((a) => interactiveCard(a.content, entry.activityId, ctx))
    .filter((n): n is HTMLElement => n !== null);
  // The post's text is the card's plain version; show it only when there is no card to show.
  if (cards.length > 0) return cards;
  return [renderRichText(entry.text ?? '')];
}

export function renderEntry(entry: TimelineEntry, ctx: StreamContext): HTMLLIElement {
  const li = el('li', { attrs: { 'data-entry': entry.id, 'data-kind': entry.kind } });
  switch (entry.kind) {
    case 'system':
      li.className = 'system';
      li.append(el('span', { text: entry.text }));
      break;
    case 'message': {
      const own = entry.fromUserId === ctx.actingUserId;
      li.className = `msg${own ? ' own' : ''}`;
      li.append(avatar(entry.fromName), bubble(metaLine(entry.fromName, entry.at), [renderMessageText(entry.text)]));
      break;
    }
    case 'post':
      li.className = `msg post${entry.deleted ? ' deleted' : ''}`;
      if (entry.text) li.setAttribute('data-text', entry.text);
      li.append(heraldAvatar(), bubble(metaLine('Herald', entry.at, entry.edited && !entry.deleted ? 'Edited' : null), postBody(entry, ctx)));
      break;
  }
  return li;
}

/**
 * Keeps the stream's DOM in step with the entries and follows the newest one while the reader is at
 * the end. Whether the reader follows is remembered from their own scrolling, not measured when a post
 * arrives: while the chat is hidden behind another tab the list has no size, and a hidden list loses its
 * scroll position. When the reader has scrolled up, new posts raise a "New messages" button instead.
 */
export class StreamView {
  private entries: TimelineEntry[] = [];
  private following = true;
  private savedScrollTop = 0;

  constructor(
    private readonly list: HTMLOListElement,
    private ctx: StreamContext,
    private readonly newMessages: HTMLButtonElement,
  ) {
    list.addEventListener('scroll', () => {
      if (!this.visible()) return;
      this.following = this.atEnd();
      this.savedScrollTop = list.scrollTop;
      if (this.following) this.newMessages.hidden = true;
    });
    newMessages.addEventListener('click', () => this.scrollToEnd());
    // The list shrinks when the header above it wraps (a long title, a narrow window): stay at the end.
    new ResizeObserver(() => {
      if (this.following && this.visible()) this.scrollToEnd();
    }).observe(list);
  }

  reset(entries: TimelineEntry[]): void {
    this.entries = [...entries];
    this.renderAll();
  }

  setContext(ctx: StreamContext): void {
    const changed = ctx.actingUserId !== this.ctx.actingUserId || ctx.dark !== this.ctx.dark;
    this.ctx = ctx;
    if (changed) this.renderAll();
  }

  add(entry: TimelineEntry): void {
    if (this.entries.some((e) => e.id === entry.id)) return this.update(entry);
    this.entries.push(entry);
    this.list.querySelector('.empty')?.remove();
    this.list.append(renderEntry(entry, this.ctx));
    if (this.following) this.scrollToEnd();
    else this.newMessages.hidden = false;
  }

  update(entry: TimelineEntry): void {
    const index = this.entries.findIndex((e) => e.id === entry.id);
    if (index < 0) return this.add(entry);
    this.entries[index] = entry;
    this.list.querySelector(`[data-entry="${entry.id}"]`)?.replaceWith(renderEntry(entry, this.ctx));
    if (this.following) this.scrollToEnd();
  }

  /** The chat is shown again (after another tab): back to the newest post, or to where the reader was. */
  shown(): void {
    if (this.following) this.scrollToEnd();
    else this.list.scrollTop = this.savedScrollTop;
  }

  private renderAll(): void {
    this.list.replaceChildren(...this.entries.map((e) => renderEntry(e, this.ctx)));
    if (this.entries.length === 0) {
      this.list.append(el('li', { className: 'empty', text: 'No messages yet. Add Herald from the panel on the right, then add someone to the chat.' }));
    }
    this.scrollToEnd();
  }

  private visible(): boolean {
    return this.list.clientHeight > 0;
  }

  private atEnd(): boolean {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 48;
  }

  private scrollToEnd(): void {
    this.following = true;
    this.newMessages.hidden = true;
    this.list.scrollTop = this.list.scrollHeight;
    this.savedScrollTop = this.list.scrollTop;
  }
}
