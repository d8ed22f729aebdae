import type { InboxBatch } from '../../model/inbox.js';
import { readEnvelope } from '../decode/normalizeNotification.js';

/** A batch this instance holds: queued, running or waiting for a retry. */
export interface BatchState {
  batch: InboxBatch;
  items: number;
  done: Set<number>;
  /** How many of `done` the stored batch records (progress is written with the heartbeat). */
  saved: number;
  /** Set when another instance took the batch over: this one stops and never completes it. */
  lost: boolean;
  /** Aborts this batch's run (stop, or the lease was lost). */
  abort: AbortController;
  attempts: number;
  unexpectedFailures: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
  /** Set when a chat's unit of work removed the finished batch from the inbox in its transaction. */
  completed: boolean;
}

/** How many items a stored batch holds (0 when its body is not a notification envelope). */
export function itemCount(batch: InboxBatch): number {
  const envelope = readEnvelope(batch.body);
  return envelope.ok ? envelope.items.length : 0;
}
