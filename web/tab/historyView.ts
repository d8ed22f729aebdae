import type { TabHistoryEntry } from '../../src/tab/tabApiTypes.js';
import { byId, el } from './dom.js';
import { describeApiError, type TabApiClient } from './TabApiClient.js';

export const HISTORY_PAGE_SIZE = 20;

const ICON: Record<TabHistoryEntry['kind'], string> = {
  joined: '+',
  left: '−',
  renamed: '✎',
  installed: 'H',
  uninstalled: '×',
  settingsChanged: '⚙',
  problem: '!',
};

/** One line of the timeline, in words. */
export function describeEntry(entry: TabHistoryEntry): { text: string; detail: string | null } {
  const who = entry.actor?.trim() || 'Someone';
  switch (entry.kind) {
    case 'joined':
      return { text: `${who} joined the chat`, detail: entry.detail };
    case 'left':
      return { text: `${who} left the chat`, detail: entry.detail };
    case 'renamed': {
      const to = entry.to?.trim();
      const from = entry.from?.trim();
      const by = entry.actor?.trim() ? `${entry.actor.trim()} renamed the chat` : 'The chat was renamed';
      if (!to) return { text: entry.actor?.trim() ? `${entry.actor.trim()} removed the chat's name` : "The chat's name was removed", detail: from ? `It was “${from}”` : null };
      return { text: from ? `${by} from “${from}” to “${to}”` : `${by} to “${to}”`, detail: entry.detail };
    }
    case 'installed':
      return { text: entry.actor?.trim() ? `${entry.actor.trim()} added Herald to the chat` : 'Herald was added to the chat', detail: entry.detail };
    case 'uninstalled':
      return { text: entry.actor?.trim() ? `${entry.actor.trim()} removed Herald from the chat` : 'Herald was removed from the chat', detail: entry.detail };
    case 'settingsChanged':
      return { text: `${who} changed Herald's settings`, detail: entry.detail };
    case 'problem':
      return { text: 'Herald ran into a problem', detail: entry.detail };
  }
}

/** The History panel: newest first, filtered by kind, paged with "Show older". */
export class HistoryView {
  private nextBefore: string | null = null;
  private loading = false;
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly filter: HTMLSelectElement;
  private readonly timeFormat: Intl.DateTimeFormat;

  constructor(
    private readonly doc: Document,
    private readonly api: TabApiClient,
    private readonly announce: (message: string) => void,
    locale: string | undefined,
  ) {
    this.list = byId<HTMLOListElement>(doc, 'history-list');
    this.empty = byId(doc, 'history-empty');
    this.more = byId<HTMLButtonElement>(doc, 'history-more');
    this.filter = byId<HTMLSelectElement>(doc, 'history-kind');
    this.timeFormat = safeDateFormat(locale);
    this.filter.addEventListener('change', () => void this.load(true));
    this.more.addEventListener('click', () => void this.load(false));
    byId(doc, 'history-refresh').addEventListener('click', () => void this.load(true));
  }

  async load(reset: boolean): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.more.disabled = true;
    this.announce(reset ? 'Loading history…' : 'Loading older entries…');
    try {
      const page = await this.api.history({ limit: HISTORY_PAGE_SIZE, before: reset ? null : this.nextBefore, kinds: this.filter.value || null });
      if (reset) this.list.replaceChildren();
      const items = page.entries.map((entry) => this.renderEntry(entry));
      this.list.append(...items);
      this.nextBefore = page.nextBefore;
      this.more.hidden = page.nextBefore === null;
      this.empty.hidden = this.list.childElementCount > 0;
      const count = this.list.childElementCount;
      this.announce(count === 0 ? 'No history entries to show.' : `Showing ${count} ${count === 1 ? 'entry' : 'entries'}${page.nextBefore ? '; older ones are available' : ''}.`);
      // Keyboard users asked for more: take them to the first new entry.
      if (!reset) items[0]?.focus();
    } catch (error) {
      this.announce(`History could not be loaded. ${describeApiError(error)}`);
    } finally {
      this.loading = false;
      this.more.disabled = false;
    }
  }

  private renderEntry(entry: TabHistoryEntry): HTMLLIElement {
    const { text, detail } = describeEntry(entry);
    const badges: HTMLElement[] = [];
    if (entry.guest) badges.push(el(this.doc, 'span', { className: 'badge', text: 'Guest' }));
    if (entry.external) badges.push(el(this.doc, 'span', { className: 'badge', text: 'External', attrs: { title: 'From another organisation' } }));
    const at = new Date(entry.at);
    return el(this.doc, 'li', { className: `kind-${entry.kind}`, attrs: { tabindex: '-1', 'data-entry-id': entry.id } }, [
      el(this.doc, 'span', { className: 'icon', text: ICON[entry.kind], attrs: { 'aria-hidden': 'true' } }),
      el(this.doc, 'span', { className: 'what' }, [
        this.doc.createTextNode(text),
        ...badges,
        detail ? el(this.doc, 'span', { className: 'detail', text: detail }) : null,
      ]),
      el(this.doc, 'time', { text: Number.isNaN(at.getTime()) ? entry.at : this.timeFormat.format(at), attrs: { datetime: entry.at } }),
    ]);
  }
}

export function safeDateFormat(locale: string | undefined): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(locale || undefined, { dateStyle: 'medium', timeStyle: 'short' });
  } catch {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }
}
