import { defaultErrorFor, type InjectableStatus } from './connectorErrors.js';

/** What to fail: bot posts (send/reply) or roster reads (members, pagedmembers, member). */
export type FaultTarget = 'post' | 'memberRead';

export interface FaultSpec {
  /** How many matching requests fail before the double answers normally again. */
  count: number;
  status: InjectableStatus;
  /** Sent as `Retry-After` (seconds). botbuilder retries 429/503 only when this is present. */
  retryAfterSeconds?: number;
  /** Bot Connector error code; defaults per status (429 Throttled, 403 BotNotInConversationRoster, …). */
  code?: string;
  message?: string;
  /** Only requests for this conversation; all conversations when absent. */
  conversationId?: string;
}

export interface PlannedFault {
  status: InjectableStatus;
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

interface QueuedFault {
  target: FaultTarget;
  spec: FaultSpec;
  remaining: number;
}

/**
 * Queue of injected failures. Conversation-specific faults win over global ones so a test can
 * break one chat while the others keep working.
 */
export class FaultPlan {
  private queue: QueuedFault[] = [];

  add(target: FaultTarget, spec: FaultSpec): void {
    if (!Number.isInteger(spec.count) || spec.count < 1) {
      throw new RangeError(`fault count must be a positive integer, got ${spec.count}`);
    }
    this.queue.push({ target, spec, remaining: spec.count });
  }

  /** Consumes one failure for this request, if any is planned. */
  take(target: FaultTarget, conversationId: string): PlannedFault | undefined {
    const candidates = this.queue.filter((q) => q.target === target && q.remaining > 0);
    const chosen =
      candidates.find((q) => q.spec.conversationId === conversationId) ??
      candidates.find((q) => q.spec.conversationId === undefined);
    if (!chosen) return undefined;
    chosen.remaining -= 1;
    this.queue = this.queue.filter((q) => q.remaining > 0);
    const fallback = defaultErrorFor(chosen.spec.status);
    return {
      status: chosen.spec.status,
      code: chosen.spec.code ?? fallback.code,
      message: chosen.spec.message ?? fallback.message,
      retryAfterSeconds: chosen.spec.retryAfterSeconds,
    };
  }

  pending(target?: FaultTarget): number {
    return this.queue.filter((q) => target === undefined || q.target === target).reduce((n, q) => n + q.remaining, 0);
  }

  clear(): void {
    this.queue = [];
  }
}
