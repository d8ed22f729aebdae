import type { TabSubscriptionHealth, TabSubscriptionsResponse } from '../../src/tab/tabApiTypes.js';
import { byId, el } from './dom.js';
import { safeDateFormat } from './historyView.js';
import { ENGLISH, type Messages } from './i18n.js';
import { describeApiError, type TabApiClient } from './TabApiClient.js';

/** "5 minutes ago" relative to the server's check time (the person's clock may be off). */
export function timeAgo(iso: string | null, nowIso: string, m: Messages = ENGLISH): string {
  if (!iso) return m.text('tab.noneYet');
  const ms = Date.parse(nowIso) - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return m.text('tab.justNow');
  if (minutes < 60) return m.text('tab.minutesAgo', { count: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return m.text('tab.hoursAgo', { count: hours });
  return m.text('tab.daysAgo', { count: Math.round(hours / 24) });
}

/** "in 35 minutes" relative to the server's check time. */
export function timeUntil(iso: string | null, nowIso: string, m: Messages = ENGLISH): string {
  if (!iso) return m.text('tab.notScheduled');
  const ms = Date.parse(iso) - Date.parse(nowIso);
  if (Number.isNaN(ms)) return iso;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return m.text('tab.now');
  if (minutes < 60) return m.text('tab.inMinutes', { count: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return m.text('tab.inHours', { count: hours });
  return m.text('tab.inDays', { count: Math.round(hours / 24) });
}

/** The Subscriptions panel: one card per Graph subscription serving this chat, plus any chat problem. */
export class SubscriptionsView {
  private readonly list: HTMLUListElement;
  private loading = false;
  private lastView: TabSubscriptionsResponse | null = null;

  constructor(
    private readonly doc: Document,
    private readonly api: TabApiClient,
    private readonly announce: (message: string) => void,
    private locale: string | undefined,
    private m: Messages = ENGLISH,
  ) {
    this.list = byId<HTMLUListElement>(doc, 'subs-list');
    byId(doc, 'subs-refresh').addEventListener('click', () => void this.load());
  }

  /** Checks the subscriptions; `quiet` leaves the status line to whatever the person just did. */
  async load(quiet = false): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    const m = this.m;
    const announce = quiet ? () => undefined : this.announce;
    announce(m.text('tab.checkingSubs'));
    try {
      const view = await this.api.subscriptions();
      this.lastView = view;
      this.render(view);
      const failing = view.subscriptions.filter((s) => s.state !== 'alive').length;
      announce(
        view.subscriptions.length === 0
          ? m.text('tab.noSubs')
          : failing === 0 && !view.problem && !view.tenantProblem
            ? m.text('tab.allWorking', { count: view.subscriptions.length })
            : m.text('tab.needAttention', { failing, count: view.subscriptions.length }),
      );
    } catch (error) {
      announce(m.text('tab.subsFailed', { reason: describeApiError(error, m) }));
    } finally {
      this.loading = false;
    }
  }

  /**
   * Says the last check again in another language (chosen in the Settings panel), then checks again
   * quietly: the server words labels and advice in the chat's language too.
   */
  setMessages(m: Messages, locale: string): void {
    this.m = m;
    this.locale = locale;
    if (!this.lastView) return;
    this.render(this.lastView);
    void this.load(true);
  }

  private render(view: TabSubscriptionsResponse): void {
    const m = this.m;
    this.list.replaceChildren(...view.subscriptions.map((s) => this.renderCard(s, view.checkedAt)));
    byId(this.doc, 'subs-empty').hidden = view.subscriptions.length > 0;
    const problem = byId(this.doc, 'subs-problem');
    problem.hidden = view.problem === null;
    byId(this.doc, 'subs-problem-text').textContent = view.problem?.message ?? '';
    byId(this.doc, 'subs-problem-advice').textContent = view.problem ? m.text('tab.whatToDo', { advice: view.problem.advice }) : '';
    byId(this.doc, 'subs-tenant-problem').hidden = view.tenantProblem === null;
    byId(this.doc, 'subs-tenant-problem-text').textContent = view.tenantProblem?.message ?? '';
    byId(this.doc, 'subs-tenant-problem-advice').textContent = view.tenantProblem ? m.text('tab.whatToDo', { advice: view.tenantProblem.advice }) : '';
    const pending = byId(this.doc, 'subs-pending');
    pending.hidden = view.pendingSyncAt === null;
    pending.textContent = view.pendingSyncAt ? m.text('tab.pending', { when: timeUntil(view.pendingSyncAt, view.checkedAt, m) }) : '';
    byId(this.doc, 'subs-evaluation').hidden = !view.evaluationMode;
    byId(this.doc, 'subs-checked').textContent = m.text('tab.checked', { time: safeDateFormat(this.locale).format(new Date(view.checkedAt)) });
  }

  private renderCard(s: TabSubscriptionHealth, checkedAt: string): HTMLLIElement {
    const d = this.doc;
    const m = this.m;
    const row = (term: string, value: string) => [el(d, 'dt', { text: term }), el(d, 'dd', { text: value })];
    const rows = [
      ...row(m.text('tab.expires'), m.text('tab.expiresIn', { expired: s.state === 'expired', remaining: s.expiresIn })),
      ...(s.nextRenewalAt ? row(m.text('tab.renewal'), timeUntil(s.nextRenewalAt, checkedAt, m)) : []),
      // Which of the instances sharing the database last renewed it (several instances on one DATABASE_URL).
      ...(s.lastRenewedBy ? row(m.text(s.lastRenewedAt ? 'tab.renewedBy' : 'tab.setUpBy'), s.lastRenewedBy) : []),
      ...row(m.text('tab.lastNotification'), timeAgo(s.lastNotificationAt, checkedAt, m)),
      ...(s.lastError ? row(m.text('tab.lastError'), s.lastError) : []),
    ];
    return el(d, 'li', { className: `card state-${s.state}`, attrs: { 'data-kind': s.kind } }, [
      el(d, 'h2', { text: s.label }),
      el(d, 'span', { className: 'state', text: m.text('tab.stateLine', { state: s.state, tenant: s.scope === 'tenant' }) }),
      el(d, 'dl', {}, rows),
      s.advice ? el(d, 'p', { className: 'advice', text: m.text('tab.whatToDo', { advice: s.advice }) }) : null,
    ]);
  }
}
