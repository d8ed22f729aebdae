/**
 * Everything the doubles put on or took off the wire, for the playground's wire tab and for test
 * assertions. Holds no secrets: no client secrets, bearer tokens, validation tokens or clientState.
 */

export interface WireNotificationItem {
  subscriptionId: string;
  changeType?: string;
  lifecycleEvent?: string;
  resource?: string;
  tenantId: string;
  /** The resource data as Graph encrypted it (rich notifications only). */
  decrypted?: unknown;
}

export type WireEntryBody =
  | { kind: 'token'; tenantId: string; clientId: string | null; resource: string | null; status: number; error?: string }
  | { kind: 'graphRequest'; method: string; path: string; status: number; tenantId: string | null; clientId: string | null; errorCode?: string }
  | {
      kind: 'handshake';
      purpose: 'notificationUrl' | 'lifecycleNotificationUrl';
      url: string;
      status: number | null;
      ok: boolean;
      error?: string;
    }
  | {
      kind: 'notification';
      url: string;
      /** HTTP status of this attempt; null when the endpoint did not answer (timeout, refused). */
      status: number | null;
      attempt: number;
      duplicate: boolean;
      items: WireNotificationItem[];
      validationTokenCount: number;
      error?: string;
    }
  | { kind: 'lifecycle'; url: string; status: number | null; attempt: number; items: WireNotificationItem[]; error?: string }
  | {
      kind: 'suppressed';
      reason: 'dropped' | 'evaluationQuota' | 'consentRevoked' | 'notInstalled' | 'noLifecycleUrl';
      subscriptionId: string;
      resource?: string;
      changeType?: string;
      lifecycleEvent?: string;
    }
  | {
      kind: 'subscription';
      action: 'created' | 'updated' | 'deleted' | 'expired' | 'reauthorized' | 'removed';
      subscriptionId: string;
      resource: string;
      tenantId: string;
    };

export type WireEntry = WireEntryBody & { seq: number; at: string };

export type WireListener = (entry: WireEntry) => void;

export interface WireLogOptions {
  clock?: () => Date;
  /** Oldest entries are dropped past this many (default 2000). */
  capacity?: number;
}

export class WireLog {
  private readonly clock: () => Date;
  private readonly capacity: number;
  private readonly list: WireEntry[] = [];
  private readonly listeners = new Set<WireListener>();
  private seq = 0;

  constructor(options: WireLogOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.capacity = options.capacity ?? 2000;
  }

  record(body: WireEntryBody): WireEntry {
    const entry = { ...body, seq: ++this.seq, at: this.clock().toISOString() } as WireEntry;
    this.list.push(entry);
    if (this.list.length > this.capacity) this.list.splice(0, this.list.length - this.capacity);
    for (const listener of [...this.listeners]) listener(entry);
    return entry;
  }

  entries(): readonly WireEntry[] {
    return [...this.list];
  }

  /** Entries of one kind, typed. */
  ofKind<K extends WireEntry['kind']>(kind: K): Array<Extract<WireEntry, { kind: K }>> {
    return this.list.filter((e): e is Extract<WireEntry, { kind: K }> => e.kind === kind);
  }

  on(listener: WireListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.list.length = 0;
  }
}
