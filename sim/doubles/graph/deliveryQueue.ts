/**
 * Outbound POSTs of change and lifecycle notifications: one POST per batch, validation tokens per
 * (app, tenant), retries with backoff on 5xx/429/timeouts, fault hooks (duplicate, hold and batch),
 * and a way for tests to wait until nothing is in flight.
 */
import type { Logger } from 'pino';
import type { WireLog, WireNotificationItem } from '../world/WireLog.js';
import type { EncryptedContent } from './encryption.js';

export interface ResourceDataRef {
  id: string;
  '@odata.type': string;
  '@odata.id': string;
}

/** One `changeNotification` as put on the wire. */
export interface NotificationItem {
  subscriptionId: string;
  subscriptionExpirationDateTime: string;
  changeType?: string;
  lifecycleEvent?: string;
  clientState: string | null;
  tenantId: string;
  resource?: string;
  resourceData?: ResourceDataRef;
  encryptedContent?: EncryptedContent;
}

export interface NotificationCollection {
  value: NotificationItem[];
  validationTokens?: string[];
}

export interface OutgoingItem {
  item: NotificationItem;
  /** Audience of the validation token covering this item (the subscribing app or notificationUrlAppId). */
  audience: string;
  /** What the wire log shows (decrypted view, no clientState). */
  view: WireNotificationItem;
}

export type DeliveryKind = 'notification' | 'lifecycle';

export interface DeliveryRecord {
  id: number;
  kind: DeliveryKind;
  url: string;
  duplicate: boolean;
  subscriptionIds: string[];
  /** Status per attempt; null = no HTTP answer (timeout, connection refused). */
  attempts: Array<number | null>;
  /** 'pending' while attempts remain. */
  outcome: 'pending' | 'delivered' | 'failed';
}

export interface DeliveryQueueOptions {
  wire: WireLog;
  /** Mints one validation token for (tenant, audience). */
  signValidationToken: (tenantId: string, audience: string) => Promise<string>;
  /** Waits between attempts; length + 1 = maximum attempts. Graph retries for up to 4 h; tests use a few ms. */
  retryDelaysMs: readonly number[];
  /** Graph expects an answer within 3 s; retries get 10 s (reference §5.3). */
  firstAttemptTimeoutMs: number;
  retryTimeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

export class DeliveryQueue {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly records: DeliveryRecord[] = [];
  private readonly held = new Map<string, { kind: DeliveryKind; url: string; items: OutgoingItem[] }>();
  private holding = false;
  private duplicatesArmed = 0;
  private nextId = 0;
  private closed = false;
  private signalClosed!: () => void;
  /** Resolves on close(), cutting retry waits short so shutdown does not wait out Graph-like backoff. */
  private readonly closedSignal = new Promise<void>((resolve) => (this.signalClosed = resolve));
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly options: DeliveryQueueOptions) {}

  /** Queue a POST of these items to one URL; never blocks the caller. */
  send(kind: DeliveryKind, url: string, items: OutgoingItem[]): void {
    if (items.length === 0 || this.closed) return;
    if (this.holding) {
      const key = `${kind} ${url}`;
      const bucket = this.held.get(key) ?? { kind, url, items: [] };
      bucket.items.push(...items);
      this.held.set(key, bucket);
      return;
    }
    const duplicate = this.duplicatesArmed > 0;
    if (duplicate) this.duplicatesArmed -= 1;
    this.track(this.deliver(kind, url, items, duplicate));
  }

  /** The next POST is sent twice (at-least-once delivery). */
  duplicateNext(count = 1): void {
    this.duplicatesArmed += count;
  }

  /** Collect notifications instead of sending them, until releaseHeld(). */
  hold(): void {
    this.holding = true;
  }

  /**
   * Send everything held, one POST per (URL, kind) with all its items batched; `reversed`: newest first
   * (Graph promises no order, and membership notifications carry no time).
   */
  releaseHeld(options: { reversed?: boolean } = {}): void {
    this.holding = false;
    const buckets = [...this.held.values()];
    this.held.clear();
    for (const bucket of buckets) this.send(bucket.kind, bucket.url, options.reversed ? [...bucket.items].reverse() : bucket.items);
  }

  get heldCount(): number {
    return [...this.held.values()].reduce((n, b) => n + b.items.length, 0);
  }

  deliveries(): DeliveryRecord[] {
    return this.records.map((r) => ({ ...r, attempts: [...r.attempts], subscriptionIds: [...r.subscriptionIds] }));
  }

  /** Resolves when no delivery (including retries) is in flight. */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stop retrying and drop held items; in-flight attempts finish. */
  async close(): Promise<void> {
    this.closed = true;
    this.signalClosed();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held.clear();
    await this.whenIdle();
  }

  /** Track any async work so whenIdle() covers it (e.g. a handshake-free lifecycle follow-up). */
  track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.options.logger?.error({ err: error }, 'graph double delivery crashed'));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private defaultSleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async deliver(kind: DeliveryKind, url: string, items: OutgoingItem[], duplicate: boolean): Promise<void> {
    const body = await this.buildBody(kind, items);
    const text = JSON.stringify(body);
    await this.attemptAll(kind, url, items, text, body.validationTokens?.length ?? 0, false);
    if (duplicate) await this.attemptAll(kind, url, items, text, body.validationTokens?.length ?? 0, true);
  }

  private async buildBody(kind: DeliveryKind, items: OutgoingItem[]): Promise<NotificationCollection> {
    const value = items.map((i) => i.item);
    const rich = items.filter((i) => i.item.encryptedContent);
    if (kind === 'lifecycle' || rich.length === 0) return { value };
    const pairs = new Map<string, { tenantId: string; audience: string }>();
    for (const i of rich) pairs.set(`${i.audience}|${i.item.tenantId}`, { tenantId: i.item.tenantId, audience: i.audience });
    const validationTokens = await Promise.all([...pairs.values()].map((p) => this.options.signValidationToken(p.tenantId, p.audience)));
    return { value, validationTokens };
  }

  private async attemptAll(kind: DeliveryKind, url: string, items: OutgoingItem[], text: string, tokenCount: number, duplicate: boolean): Promise<void> {
    const record: DeliveryRecord = {
      id: ++this.nextId,
      kind,
      url,
      duplicate,
      subscriptionIds: [...new Set(items.map((i) => i.item.subscriptionId))],
      attempts: [],
      outcome: 'pending',
    };
    this.records.push(record);
    const sleep = this.options.sleep ?? ((ms: number) => this.defaultSleep(ms));
    const maxAttempts = this.options.retryDelaysMs.length + 1;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const timeoutMs = attempt === 1 ? this.options.firstAttemptTimeoutMs : this.options.retryTimeoutMs;
      const { status, error } = await post(url, text, timeoutMs);
      record.attempts.push(status);
      const views = items.map((i) => i.view);
      if (kind === 'notification') {
        this.options.wire.record({ kind: 'notification', url, status, attempt, duplicate, items: views, validationTokenCount: tokenCount, ...(error ? { error } : {}) });
      } else {
        this.options.wire.record({ kind: 'lifecycle', url, status, attempt, items: views, ...(error ? { error } : {}) });
      }
      if (status !== null && status >= 200 && status < 300) {
        record.outcome = 'delivered';
        return;
      }
      // Only 5xx, 429 and no answer are retried; other 4xx retry behaviour is undocumented, so the double gives up.
      const retryable = status === null || status === 429 || status >= 500;
      if (!retryable || attempt === maxAttempts || this.closed) break;
      await Promise.race([sleep(this.options.retryDelaysMs[attempt - 1] ?? 0), this.closedSignal]);
      if (this.closed) break;
    }
    record.outcome = 'failed';
  }
}

async function post(url: string, body: string, timeoutMs: number): Promise<{ status: number | null; error?: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    return { status: response.status };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    return { status: null, error: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'unreachable' };
  }
}
