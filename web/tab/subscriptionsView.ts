import type { TabSubscriptionHealth } from '../../src/tab/tabApiTypes.js';
import { byId, el } from './dom.js';
import { safeDateFormat } from './historyView.js';
import { describeApiError, type TabApiClient } from './TabApiClient.js';

const STATE_TEXT: Record<TabSubscriptionHealth['state'], string> = {
  alive: 'Working',
  failing: 'Failing',
  expired: 'Expired',
};

/** "5 minutes ago" relative to the server's check time (the person's clock may be off). */
export function timeAgo(iso: string | null, nowIso: string): string {
  if (!iso) return 'none yet';
  const ms = Date.parse(nowIso) - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return `${days} days ago`;
}

/** "in 35 minutes" relative to the server's check time. */
export function timeUntil(iso: string | null, nowIso: string): string {
  if (!iso) return 'not scheduled';
  const ms = Date.parse(iso) - Date.parse(nowIso);
  if (Number.isNaN(ms)) return iso;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'now';
  if (minutes < 60) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} hour${hours === 1 ? '' : 's'}`;
  return `in ${Math.round(hours / 24)} days`;
}

/** The Subscriptions panel: one card per Graph subscription serving this chat, plus any chat problem. */
export class SubscriptionsView {
  private readonly list: HTMLUListElement;
  private loading = false;

  constructor(
    private readonly doc: Document,
    private readonly api: TabApiClient,
    private readonly announce: (message: string) => void,
    private readonly locale: string | undefined,
  ) {
    this.list = byId<HTMLUListElement>(doc, 'subs-list');
    byId(doc, 'subs-refresh').addEventListener('click', () => void this.load());
  }

  async load(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.announce('Checking subscriptions…');
    try {
      const view = await this.api.subscriptions();
      this.list.replaceChildren(...view.subscriptions.map((s) => this.renderCard(s, view.checkedAt)));
      byId(this.doc, 'subs-empty').hidden = view.subscriptions.length > 0;
      const problem = byId(this.doc, 'subs-problem');
      problem.hidden = view.problem === null;
      byId(this.doc, 'subs-problem-text').textContent = view.problem?.message ?? '';
      byId(this.doc, 'subs-problem-advice').textContent = view.problem ? `What to do: ${view.problem.advice}` : '';
      byId(this.doc, 'subs-tenant-problem').hidden = view.tenantProblem === null;
      byId(this.doc, 'subs-tenant-problem-text').textContent = view.tenantProblem?.message ?? '';
      byId(this.doc, 'subs-tenant-problem-advice').textContent = view.tenantProblem ? `What to do: ${view.tenantProblem.advice}` : '';
      const pending = byId(this.doc, 'subs-pending');
      pending.hidden = view.pendingSyncAt === null;
      pending.textContent = view.pendingSyncAt ? `Herald is setting up this chat's subscriptions; next attempt ${timeUntil(view.pendingSyncAt, view.checkedAt)}.` : '';
      byId(this.doc, 'subs-evaluation').hidden = !view.evaluationMode;
      byId(this.doc, 'subs-checked').textContent = `Checked ${safeDateFormat(this.locale).format(new Date(view.checkedAt))}`;
      const failing = view.subscriptions.filter((s) => s.state !== 'alive').length;
      this.announce(
        view.subscriptions.length === 0
          ? 'No subscriptions yet.'
          : failing === 0 && !view.problem && !view.tenantProblem
            ? `All ${view.subscriptions.length} subscriptions are working.`
            : `${failing} of ${view.subscriptions.length} subscriptions need attention.`,
      );
    } catch (error) {
      this.announce(`Subscriptions could not be checked. ${describeApiError(error)}`);
    } finally {
      this.loading = false;
    }
  }

  private renderCard(s: TabSubscriptionHealth, checkedAt: string): HTMLLIElement {
    const d = this.doc;
    const row = (term: string, value: string) => [el(d, 'dt', { text: term }), el(d, 'dd', { text: value })];
    const rows = [
      ...row('Expires', s.state === 'expired' ? 'expired' : `in ${s.expiresIn}`),
      ...(s.nextRenewalAt ? row('Renewal', timeUntil(s.nextRenewalAt, checkedAt)) : []),
      ...row('Last notification', timeAgo(s.lastNotificationAt, checkedAt)),
      ...(s.lastError ? row('Last error', s.lastError) : []),
    ];
    return el(d, 'li', { className: `card state-${s.state}`, attrs: { 'data-kind': s.kind } }, [
      el(d, 'h2', { text: s.label }),
      el(d, 'span', { className: 'state', text: `${STATE_TEXT[s.state]}${s.scope === 'tenant' ? ' · shared by every chat in your organisation' : ''}` }),
      el(d, 'dl', {}, rows),
      s.advice ? el(d, 'p', { className: 'advice', text: `What to do: ${s.advice}` }) : null,
    ]);
  }
}
