/** The Wire tab: Herald's Graph subscriptions with their expiry, and the traffic between the services. */
import type { SubscriptionRow } from '../../sim/playground/PlaygroundController.js';
import type { WireItem, WireSource } from '../../sim/playground/wireView.js';
import { el, timeOf } from './dom.js';

const MAX_SHOWN = 400;

function formatRemaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours} h ${minutes % 60} min`;
  return `in ${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export class WirePanel {
  private items: WireItem[] = [];
  private subscriptions: SubscriptionRow[] = [];
  private readonly hidden = new Set<WireSource>();

  constructor(
    private readonly table: HTMLTableElement,
    private readonly list: HTMLOListElement,
    filters: HTMLElement,
  ) {
    for (const box of Array.from(filters.querySelectorAll<HTMLInputElement>('input[data-source]'))) {
      box.addEventListener('change', () => {
        const source = box.dataset.source as WireSource;
        if (box.checked) this.hidden.delete(source);
        else this.hidden.add(source);
        this.renderList();
      });
    }
  }

  reset(items: WireItem[], subscriptions: SubscriptionRow[]): void {
    this.items = items.slice(-MAX_SHOWN);
    this.subscriptions = subscriptions;
    this.renderList();
    this.renderSubscriptions();
  }

  add(item: WireItem): void {
    this.items.push(item);
    if (this.items.length > MAX_SHOWN) this.items.shift();
    if (this.hidden.has(item.source)) return;
    this.list.prepend(this.row(item));
    while (this.list.children.length > MAX_SHOWN) this.list.lastElementChild?.remove();
  }

  setSubscriptions(subscriptions: SubscriptionRow[]): void {
    this.subscriptions = subscriptions;
    this.renderSubscriptions();
  }

  /** Expiry counts down while the tab is open. */
  tick(): void {
    this.renderSubscriptions();
  }

  private renderSubscriptions(): void {
    const body = this.table.tBodies[0];
    if (!body) return;
    const now = Date.now();
    const rows = this.subscriptions.map((s) => {
      const remaining = Date.parse(s.expirationDateTime) - now;
      return el('tr', {}, [
        el('td', { className: 'resource', text: s.resource }),
        el('td', { text: s.changeType }),
        el('td', { className: remaining < 10 * 60_000 ? 'expiry soon' : 'expiry', text: formatRemaining(remaining), attrs: { title: s.expirationDateTime } }),
        el('td', { text: s.includeResourceData ? 'encrypted' : 'no' }),
      ]);
    });
    if (rows.length === 0) rows.push(el('tr', {}, [el('td', { text: 'None yet: add Herald to the chat.', attrs: { colspan: '4' } })]));
    body.replaceChildren(...rows);
  }

  private renderList(): void {
    const shown = this.items.filter((i) => !this.hidden.has(i.source)).reverse();
    this.list.replaceChildren(...shown.map((i) => this.row(i)));
  }

  private row(item: WireItem): HTMLLIElement {
    const summary = el('summary', {}, [
      el('time', { className: 'time', text: timeOf(item.at), attrs: { datetime: item.at } }),
      el('span', { className: 'source', text: item.source === 'login' ? 'sign-in' : item.source }),
      el('span', { className: 'status', text: item.status === null ? '' : String(item.status) }),
      el('span', { className: 'title', text: item.title }),
    ]);
    const details = el('details', {}, [summary, el('pre', { text: JSON.stringify(item.detail, null, 2) })]);
    return el('li', { className: item.ok ? '' : 'bad', attrs: { 'data-kind': item.kind } }, [details]);
  }
}
