import { recordedChanges } from '../../src/settings/settingChanges.js';
import type { TabHistoryEntry } from '../../src/tab/tabApiTypes.js';
import { byId, el } from './dom.js';
import { ENGLISH, type Messages } from './i18n.js';
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

/** One line of the timeline, in words of the tab's language. */
export function describeEntry(entry: TabHistoryEntry, m: Messages = ENGLISH): { text: string; detail: string | null } {
  const actor = entry.actor?.trim() ?? '';
  const who = actor || m.text('person.someone');
  const named = actor !== '';
  switch (entry.kind) {
    // As the chat's announcement says it: someone else added or removed them, or they joined or left.
    case 'joined':
      return { text: entry.by ? m.text('tab.entry.addedBy', { by: entry.by, who }) : m.text('tab.entry.joined', { who }), detail: entry.detail };
    case 'left':
      return { text: entry.by ? m.text('tab.entry.removedBy', { by: entry.by, who }) : m.text('tab.entry.left', { who }), detail: entry.detail };
    case 'renamed': {
      const to = entry.to?.trim();
      const from = entry.from?.trim();
      if (!to) return { text: m.text('tab.entry.nameRemoved', { named, actor }), detail: from ? m.text('tab.entry.wasNamed', { from }) : null };
      return { text: m.text('tab.entry.renamed', { named, actor, hasFrom: Boolean(from), from: from ?? '', to }), detail: entry.detail };
    }
    case 'installed':
      return { text: m.text('tab.entry.installed', { named, actor }), detail: entry.detail };
    case 'uninstalled':
      return { text: m.text('tab.entry.uninstalled', { named, actor }), detail: entry.detail };
    case 'settingsChanged':
      return { text: m.text('tab.entry.settingsChanged', { who }), detail: recordedChanges(entry, m) || null };
    case 'problem':
      return { text: m.text('tab.entry.problem'), detail: entry.detail };
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
  private timeFormat: Intl.DateTimeFormat;
  /** What the list shows, kept so a change of language can say it again without asking the server. */
  private shown: TabHistoryEntry[] = [];

  constructor(
    private readonly doc: Document,
    private readonly api: TabApiClient,
    private readonly announce: (message: string) => void,
    locale: string | undefined,
    private m: Messages = ENGLISH,
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
    const m = this.m;
    this.announce(m.text(reset ? 'tab.loadingHistory' : 'tab.loadingOlder'));
    try {
      const page = await this.api.history({ limit: HISTORY_PAGE_SIZE, before: reset ? null : this.nextBefore, kinds: this.filter.value || null });
      if (reset) {
        this.list.replaceChildren();
        this.shown = [];
      }
      this.shown.push(...page.entries);
      const items = page.entries.map((entry) => this.renderEntry(entry));
      this.list.append(...items);
      this.nextBefore = page.nextBefore;
      this.more.hidden = page.nextBefore === null;
      this.empty.hidden = this.list.childElementCount > 0;
      const count = this.list.childElementCount;
      this.announce(count === 0 ? m.text('tab.noEntries') : m.text('tab.showing', { count, more: page.nextBefore !== null }));
      // Keyboard users asked for more: take them to the first new entry.
      if (!reset) items[0]?.focus();
    } catch (error) {
      this.announce(m.text('tab.historyFailed', { reason: describeApiError(error, m) }));
    } finally {
      this.loading = false;
      this.more.disabled = false;
    }
  }

  /** Says the entries shown again in another language (chosen in the Settings panel), dates included. */
  setMessages(m: Messages, locale: string): void {
    this.m = m;
    this.timeFormat = safeDateFormat(locale);
    this.list.replaceChildren(...this.shown.map((entry) => this.renderEntry(entry)));
  }

  private renderEntry(entry: TabHistoryEntry): HTMLLIElement {
    const m = this.m;
    const { text, detail } = describeEntry(entry, m);
    const badges: HTMLElement[] = [];
    if (entry.guest) badges.push(el(this.doc, 'span', { className: 'badge', text: m.text('tab.guest') }));
    if (entry.external) badges.push(el(this.doc, 'span', { className: 'badge', text: m.text('tab.external'), attrs: { title: m.text('tab.externalTitle') } }));
    // Issue 16: a change Herald heard of from Teams' bot event is marked as such, apart from Graph's.
    const source = entry.source ? el(this.doc, 'span', { className: 'source', text: m.text('tab.entry.source', { source: entry.source }), attrs: { 'data-source': entry.source } }) : null;
    const at = new Date(entry.at);
    return el(this.doc, 'li', { className: `kind-${entry.kind}`, attrs: { tabindex: '-1', 'data-entry-id': entry.id } }, [
      el(this.doc, 'span', { className: 'icon', text: ICON[entry.kind], attrs: { 'aria-hidden': 'true' } }),
      el(this.doc, 'span', { className: 'what' }, [
        this.doc.createTextNode(text),
        ...badges,
        source,
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
