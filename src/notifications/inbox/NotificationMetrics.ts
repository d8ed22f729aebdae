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
  readonly droppedByReason = new Map<DropReason, number>();
  readonly ignoredByReason = new Map<IgnoreReason, number>();
  private readonly lags: number[] = [];
  private lagCursor = 0;
  private lastLag: number | null = null;

  accepted(items: number): void {
    this.received += items;
    this.inbox += items;
  }

  /** Items found in the inbox at start (accepted before a restart). */
  replayed(items: number): void {
    this.inbox += items;
  }

  finished(outcome: ItemOutcome, lagMs: number): void {
    this.inbox = Math.max(0, this.inbox - 1);
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
      lagMs: this.lagSummary(),
    };
  }

  /** Prometheus text exposition (version 0.0.4). */
  prometheus(): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('herald_notifications_received_total', 'counter', 'Notification items accepted with 202.', [['', this.received]]);
    metric('herald_notifications_processed_total', 'counter', 'Notification items handled to the end.', [['', this.processed]]);
    metric('herald_notifications_emitted_total', 'counter', 'Changes and lifecycle events handed on.', [['', this.emitted]]);
    metric('herald_notifications_duplicates_total', 'counter', 'Items recognised as already handed on.', [['', this.duplicates]]);
    metric('herald_notifications_ignored_total', 'counter', 'Authentic items that led to nothing, by reason.', IGNORE_REASONS.map((r) => [`{reason="${r}"}`, this.ignoredByReason.get(r) ?? 0]));
    metric('herald_notifications_dropped_total', 'counter', 'Items refused by a check, by reason.', DROP_REASONS.map((r) => [`{reason="${r}"}`, this.droppedByReason.get(r) ?? 0]));
    metric('herald_notifications_inbox', 'gauge', 'Items accepted and not processed yet.', [['', this.inbox]]);
    metric('herald_notifications_inbox_batches', 'gauge', 'Batches still stored in the inbox.', [['', this.batches]]);
    metric('herald_notifications_retrying_batches', 'gauge', 'Batches waiting to be retried.', [['', this.retrying]]);
    const lag = this.lagSummary();
    metric('herald_notifications_lag_milliseconds', 'gauge', 'Receipt-to-processed time over recent items.', [
      ['{quantile="0.5"}', lag.p50 ?? 0],
      ['{quantile="0.95"}', lag.p95 ?? 0],
      ['{quantile="0.99"}', lag.p99 ?? 0],
      ['{quantile="1"}', lag.max ?? 0],
    ]);
    return `${lines.join('\n')}\n`;
  }

  private recordLag(ms: number): void {
    const value = Math.max(0, Math.round(ms));
    this.lastLag = value;
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
