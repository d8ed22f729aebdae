import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { nearestRank } from '../../metrics/nearestRank.js';
import { DROP_REASONS, IGNORE_REASONS, type DropReason, type IgnoreReason, type ItemOutcome } from '../route/ItemOutcome.js';

export interface LagSummary {
  /** Items measured (the most recent ones, up to the window). */
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  last: number | null;
}

/** The `notifications` section of /healthz. */
export interface NotificationHealth {
  /** Items accepted (answered 202) since start. */
  received: number;
  /** Items handled to the end, whether or not they led to a post (emitted + duplicates + ignored). */
  processed: number;
  /** Items refused by a check. */
  dropped: number;
  /** Items accepted and not processed yet (including leftovers replayed from before a restart). */
  inbox: number;
  emitted: number;
  duplicates: number;
  ignored: number;
  droppedByReason: Partial<Record<DropReason, number>>;
  ignoredByReason: Partial<Record<IgnoreReason, number>>;
  /** Batches still stored in the inbox (removed once every item is finished and its bookkeeping is durable). */
  batches: number;
  /** Batches waiting to be tried again (signing keys or Graph unreachable). */
  retrying: number;
  /** Batches this instance took over since start: nobody held them (left by an earlier run or a dead instance). */
  takenOver: number;
  /** Batches this instance let go because another instance had taken them over (its lease ran out while it stalled). */
  leasesLost: number;
  /** Milliseconds from receipt to the end of processing. */
  lagMs: LagSummary;
}

const LAG_WINDOW = 1024;

/** Counters of the receive path, shown in /healthz and /metrics. */
export class NotificationMetrics {
  received = 0;
  processed = 0;
  dropped = 0;
  inbox = 0;
  emitted = 0;
  duplicates = 0;
  ignored = 0;
  batches = 0;
  retrying = 0;
  takenOver = 0;
  leasesLost = 0;
  readonly droppedByReason = new Map<DropReason, number>();
  readonly ignoredByReason = new Map<IgnoreReason, number>();
  private readonly lags: number[] = [];
  private lagCursor = 0;
  private lastLag: number | null = null;
  private lagHistogram: Histogram | null = null;

  accepted(items: number): void {
    this.received += items;
    this.inbox += items;
  }

  /** A batch nobody held any more, taken over with its unfinished items (accepted before a restart, or by a dead instance). */
  tookOver(items: number): void {
    this.takenOver++;
    this.inbox += items;
  }

  /** A batch another instance took over: its unfinished items are no longer this instance's to process. */
  lostLease(items: number): void {
    this.leasesLost++;
    this.inbox = Math.max(0, this.inbox - items);
  }

  /** `inInbox` false: an item of a batch already let go (its unfinished items left `inbox` then). */
  finished(outcome: ItemOutcome, lagMs: number, inInbox = true): void {
    if (inInbox) this.inbox = Math.max(0, this.inbox - 1);
    switch (outcome.status) {
      case 'dropped':
        this.dropped++;
        this.droppedByReason.set(outcome.reason, (this.droppedByReason.get(outcome.reason) ?? 0) + 1);
        break;
      case 'ignored':
        this.processed++;
        this.ignored++;
        this.ignoredByReason.set(outcome.reason, (this.ignoredByReason.get(outcome.reason) ?? 0) + 1);
        break;
      case 'duplicate':
        this.processed++;
        this.duplicates++;
        break;
      case 'emitted':
        this.processed++;
        this.emitted++;
        break;
    }
    this.recordLag(lagMs);
  }

  snapshot(): NotificationHealth {
    return {
      received: this.received,
      processed: this.processed,
      dropped: this.dropped,
      inbox: this.inbox,
      emitted: this.emitted,
      duplicates: this.duplicates,
      ignored: this.ignored,
      droppedByReason: Object.fromEntries(this.droppedByReason),
      ignoredByReason: Object.fromEntries(this.ignoredByReason),
      batches: this.batches,
      retrying: this.retrying,
      takenOver: this.takenOver,
      leasesLost: this.leasesLost,
      lagMs: this.lagSummary(),
    };
  }

  /**
   * Publishes these counters in a Prometheus registry. The counters stay plain fields (the receive path
   * pays nothing per item for them) and are read at scrape time; the lag is a real histogram.
   */
  expose(registry: Registry): void {
    // prom-client's Counter has no set(): a counter read from a field is reset and incremented to it.
    const counter = (name: string, help: string, value: () => number) =>
      new Counter({ name, help, registers: [registry], collect(this: Counter) { this.reset(); this.inc(value()); } });
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({ name, help, registers: [registry], collect(this: Gauge) { this.set(value()); } });
    const byReason = <R extends string>(name: string, help: string, reasons: readonly R[], counts: Map<R, number>) =>
      new Counter({
        name, help, labelNames: ['reason'], registers: [registry],
        collect(this: Counter<'reason'>) {
          this.reset();
          for (const reason of reasons) this.inc({ reason }, counts.get(reason) ?? 0);
        },
      });
    counter('herald_notifications_received_total', 'Notification items accepted with 202.', () => this.received);
    counter('herald_notifications_processed_total', 'Notification items handled to the end.', () => this.processed);
    counter('herald_notifications_emitted_total', 'Changes and lifecycle events handed on.', () => this.emitted);
    counter('herald_notifications_duplicates_total', 'Items recognised as already handed on.', () => this.duplicates);
    byReason('herald_notifications_ignored_total', 'Authentic items that led to nothing, by reason.', IGNORE_REASONS, this.ignoredByReason);
    byReason('herald_notifications_dropped_total', 'Items refused by a check, by reason.', DROP_REASONS, this.droppedByReason);
    gauge('herald_notifications_inbox', 'Items accepted and not processed yet.', () => this.inbox);
    gauge('herald_notifications_inbox_batches', 'Batches still stored in the inbox.', () => this.batches);
    gauge('herald_notifications_retrying_batches', 'Batches waiting to be retried.', () => this.retrying);
    counter('herald_notifications_taken_over_batches_total', 'Inbox batches taken over from an earlier run or a dead instance.', () => this.takenOver);
    counter('herald_notifications_leases_lost_total', 'Inbox batches let go because another instance had taken them over.', () => this.leasesLost);
    this.lagHistogram = new Histogram({
      name: 'herald_notifications_lag_milliseconds',
      help: 'Time from receipt to the end of processing, per item.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000],
      registers: [registry],
    });
  }

  private recordLag(ms: number): void {
    const value = Math.max(0, Math.round(ms));
    this.lastLag = value;
    this.lagHistogram?.observe(value);
    if (this.lags.length < LAG_WINDOW) this.lags.push(value);
    else this.lags[this.lagCursor] = value;
    this.lagCursor = (this.lagCursor + 1) % LAG_WINDOW;
  }

  private lagSummary(): LagSummary {
    if (this.lags.length === 0) return { count: 0, p50: null, p95: null, p99: null, max: null, last: null };
    const sorted = [...this.lags].sort((a, b) => a - b);
    const at = (q: number) => nearestRank(sorted, q) ?? null;
    return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? null, last: this.lastLag };
  }
}
