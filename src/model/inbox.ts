/** A notification batch accepted by the endpoint and not yet processed (durable, survives a crash). */
export interface InboxBatch {
  id: string;
  route: 'notifications' | 'lifecycle';
  receivedAt: string;
  /** The raw JSON body exactly as received (parsed once). */
  body: unknown;
  /**
   * Indexes of items already finished, written now and then while the batch is processed, so an instance
   * taking the batch over (its owner died) skips them. Absent: none recorded.
   */
  done?: number[];
}

/** A post waiting to be delivered to a chat (survives restarts). */
export interface OutboxPost {
  id: string;
  chatId: string;
  /** The Bot Framework activity to send (Adaptive Card attachment + text fallback). */
  activity: Record<string, unknown>;
  createdAt: string;
  attempts: number;
  notBefore: string;
}

/** Changes collected for a chat's summary window (survives restarts). */
export interface PendingSummary {
  chatId: string;
  windowEndsAt: string;
  changes: unknown[];
}
