import type { Logger } from 'pino';
import type { NotificationKeyRing } from '../../certificates/NotificationKeyRing.js';
import type { HeraldEvents } from '../../events/HeraldEvents.js';
import type { ChatGraph } from '../../graph/ChatGraph.js';
import { describeFailure } from '../../graph/describeFailure.js';
import type { InboxBatch } from '../../model/inbox.js';
import type { SubscriptionRecord } from '../../model/subscription.js';
import type { Store } from '../../storage/Store.js';
import { decryptResourceData, decryptResourceDataWith, type DataKeyUnwrapper, type DecryptResult } from '../decode/decryptResourceData.js';
import { normalizeNotification, readEnvelope, type NotificationItem } from '../decode/normalizeNotification.js';
import { parseResource, resourcePath, type ResourceTarget } from '../decode/parseResource.js';
import { SigningKeysUnavailableError, type ValidationTokenVerifier } from '../verify/ValidationTokenVerifier.js';
import { verifyClientState } from '../verify/verifyClientState.js';
import type { ChatUnits } from '../../events/ChatUnits.js';
import type { StoreData } from '../../storage/Store.js';
import { ChatLedger, type PreparedChange } from './ChatLedger.js';
import { describeChange } from './describeChange.js';
import { abortable, Turnstile } from './Turnstile.js';
import { ProcessingStoppedError, RetryLaterError, type DropReason, type ItemOutcome } from './ItemOutcome.js';

export interface NotificationPipelineDeps {
  store: Pick<Store, 'subscriptions'>;
  keys: NotificationKeyRing;
  /** Unwraps data keys off the event loop (KeyUnwrapPool); without it each item is decrypted inline in its turn. */
  unwrapper?: DataKeyUnwrapper;
  verifier: Pick<ValidationTokenVerifier, 'verify'>;
  /** Where each chat's changes of a batch go, as one unit of work (deduplicated in it). */
  units: Pick<ChatUnits, 'apply'>;
  /** Lifecycle events go here. */
  events: Pick<HeraldEvents, 'emit'>;
  /** Reads resources for notifications without resource data; without it those items are dropped. */
  chatGraph?: Pick<ChatGraph, 'getResource'>;
  /**
   * Subscriptions being created (by clientState): an item for one of them is held until Graph's 201 is
   * stored, since Graph may deliver before answering. Without it, such items are dropped as unknown.
   */
  pendingCreations?: PendingCreationLookup;
  clock: () => Date;
  log: Logger;
}

export interface PendingCreationLookup {
  /**
   * Whether `clientState` belongs to a subscription being created: 'settled' once that creation is
   * stored or failed (look again), 'elsewhere' while another instance is creating it, else 'none'.
   */
  lookup(clientState: string | null): Promise<'settled' | 'elsewhere' | 'none'>;
}

export interface BatchRun {
  /** Items already finished in an earlier attempt of this batch. */
  skip: ReadonlySet<number>;
  onItem(index: number, outcome: ItemOutcome): void;
  signal: AbortSignal;
  /**
   * Inside the unit of work of the batch's last chat (every other item finished): removes the batch from
   * the inbox in the same transaction. Other units record nothing of the batch: a replay after a crash
   * finds their changes in the dedupe logs they stored.
   */
  completeIn(tx: StoreData): Promise<void>;
}

const TOUCH_INTERVAL_MS = 60_000;

type TokenCheck = { ok: true; tenants: Set<string> } | { ok: false; reason: DropReason; detail: string };

/**
 * verify → decode → route for one stored batch: authenticates every item, decrypts or fetches its
 * resource, deduplicates, and hands typed events to the event bus. Items are independent: a bad one is
 * dropped (logged, counted), the others go on.
 */
export class NotificationPipeline {
  private readonly lastTouched = new Map<string, string>();
  private readonly turnstile = new Turnstile();

  constructor(private readonly deps: NotificationPipelineDeps) {}

  /**
   * @throws RetryLaterError when the batch cannot be finished now (finished items are reported and skipped next time).
   * @throws ProcessingStoppedError when `run.signal` aborts.
   */
  async process(batch: InboxBatch, run: BatchRun): Promise<void> {
    const envelope = readEnvelope(batch.body);
    if (!envelope.ok) return;
    const items = envelope.items.map((raw, index) => ({ index, item: normalizeNotification(raw, index) }));
    const pending = items.filter(({ index }) => !run.skip.has(index));
    const writes: Promise<unknown>[] = [];
    const prepared: PreparedChange[] = [];
    let retry: RetryLaterError | null = null;
    try {
      let tokens: TokenCheck | null = null;
      if (pending.some(({ item }) => item?.encryptedContent)) {
        tokens = await abortable(this.checkTokens(envelope.validationTokens, batch), run.signal);
      }
      const subscriptions = new Map<string, SubscriptionRecord | undefined>();
      const decryptions = this.startDecryptions(pending, tokens);
      // verify → decode, item by item: what is finished here is reported at once; changes wait for their chat's unit.
      for (const { index, item } of pending) {
        await this.turnstile.pass();
        if (run.signal.aborted) throw new ProcessingStoppedError();
        let outcome: ItemOutcome | PreparedChange;
        try {
          outcome = await this.processItem(item, batch, tokens, writes, subscriptions, run.signal, decryptions.get(index));
        } catch (error) {
          if (!(error instanceof RetryLaterError)) throw error;
          // This item and every later one wait for the retry (a chat's changes keep their order); what
          // was decoded before it is handed on now.
          retry = error;
          break;
        }
        if ('status' in outcome) {
          this.report(batch, index, item, outcome);
          run.onItem(index, outcome);
        } else prepared.push(outcome);
      }
      await this.handOn(batch, run, prepared, retry === null);
      if (retry) throw retry;
    } finally {
      // Subscription timestamps are written before the batch may leave the inbox.
      await Promise.all(writes.map((w) => w.catch((error: unknown) => this.deps.log.error({ err: error }, 'notification bookkeeping write failed'))));
    }
  }

  /**
   * route → handle: each chat's changes go to their unit of work, the chats side by side. A chat that
   * fails does not hold up the others; its items stay unfinished (the batch is tried again for them).
   * The last chat's unit records the batch as done, in its own transaction.
   */
  private async handOn(batch: InboxBatch, run: BatchRun, prepared: readonly PreparedChange[], complete: boolean): Promise<void> {
    const byChat = new Map<string, PreparedChange[]>();
    for (const change of prepared) {
      const group = byChat.get(change.event.chatId);
      if (group) group.push(change);
      else byChat.set(change.event.chatId, [change]);
    }
    let unstored = byChat.size;
    const failures: unknown[] = [];
    const at = this.deps.clock();
    await Promise.all(
      [...byChat].map(async ([chatId, group]) => {
        if (run.signal.aborted) return;
        const ledger = new ChatLedger(group, at, (tx) => (complete && unstored === 1 ? run.completeIn(tx) : Promise.resolve()));
        try {
          await this.deps.units.apply({ chatId, tenantId: group[0]!.event.tenantId, changes: group.map((change) => change.event), ledger });
        } catch (error) {
          this.deps.log.error({ err: error, batchId: batch.id, chatId, items: group.length }, 'applying the changes of a chat failed; its notifications are tried again');
          failures.push(error);
          return;
        }
        unstored--;
        for (const { index, item } of group) {
          const outcome = ledger.outcomeOf(index);
          this.report(batch, index, item, outcome);
          run.onItem(index, outcome);
        }
      }),
    );
    if (run.signal.aborted) throw new ProcessingStoppedError();
    if (failures.length > 0) throw failures[0];
  }

  /**
   * With an unwrapper, every encrypted item of an authentic batch is sent off at once (the pool sends
   * them together); the items are still handled one by one, in order, each awaiting its own result.
   */
  private startDecryptions(pending: Array<{ index: number; item: NotificationItem | null }>, tokens: TokenCheck | null): Map<number, Promise<DecryptResult>> {
    const started = new Map<number, Promise<DecryptResult>>();
    const unwrapper = this.deps.unwrapper;
    if (!unwrapper || !tokens?.ok) return started;
    for (const { index, item } of pending) {
      if (!item?.encryptedContent) continue;
      const decryption = decryptResourceDataWith(item.encryptedContent, this.deps.keys, unwrapper);
      // An item dropped before it gets to its decryption never awaits it.
      decryption.catch(() => undefined);
      started.set(index, decryption);
    }
    return started;
  }

  private async checkTokens(tokens: unknown[] | null, batch: InboxBatch): Promise<TokenCheck> {
    if (!tokens || tokens.length === 0) return this.tokenFailure(batch, 'missingValidationToken', 'rich notifications without validationTokens');
    if (tokens.some((t) => typeof t !== 'string')) return this.tokenFailure(batch, 'invalidValidationToken', 'validationTokens holds a non-string');
    const tenants = new Set<string>();
    const failures: string[] = [];
    try {
      // Judged at receipt: a batch replayed after a restart or a long retry still carries the tokens it came with.
      const receivedAt = new Date(batch.receivedAt);
      for (const verdict of await Promise.all((tokens as string[]).map((t) => this.deps.verifier.verify(t, receivedAt)))) {
        if (verdict.ok) tenants.add(verdict.tenantId);
        else failures.push(`${verdict.reason}: ${verdict.detail}`);
      }
    } catch (error) {
      if (error instanceof SigningKeysUnavailableError) throw new RetryLaterError('verificationUnavailable', error.message, { cause: error });
      throw error;
    }
    // One bad token makes the whole batch suspicious: none of its rich items is acted on.
    if (failures.length > 0) return this.tokenFailure(batch, 'invalidValidationToken', failures.join('; '));
    return { ok: true, tenants };
  }

  private tokenFailure(batch: InboxBatch, reason: DropReason, detail: string): TokenCheck {
    this.deps.log.warn({ batchId: batch.id, reason, detail }, 'validation tokens rejected; rich notifications of this batch are dropped');
    return { ok: false, reason, detail };
  }

  private async processItem(
    item: NotificationItem | null,
    batch: InboxBatch,
    tokens: TokenCheck | null,
    writes: Promise<unknown>[],
    subscriptions: Map<string, SubscriptionRecord | undefined>,
    signal: AbortSignal,
    decryption?: Promise<DecryptResult>,
  ): Promise<ItemOutcome | PreparedChange> {
    const drop = (reason: DropReason): ItemOutcome => ({ status: 'dropped', reason });
    if (!item?.subscriptionId) return drop('malformedItem');
    const subscription = await this.subscriptionOf(item.subscriptionId, item, batch, subscriptions, signal);
    if (!subscription) return drop('unknownSubscription');
    if (!verifyClientState(item.clientState, subscription.clientState)) return drop('clientStateMismatch');
    if (item.tenantId && item.tenantId.toLowerCase() !== subscription.tenantId.toLowerCase()) return drop('tenantMismatch');
    const tenantId = subscription.tenantId;
    this.touch(subscription, batch.receivedAt, writes);

    if (item.rawLifecycleEvent !== null) {
      if (!item.lifecycleEvent) return { status: 'ignored', reason: 'unsupportedLifecycleEvent' };
      await this.deps.events.emit('lifecycle', {
        kind: item.lifecycleEvent,
        subscriptionId: subscription.id,
        tenantId,
        subscriptionExpirationDateTime: item.subscriptionExpirationDateTime,
        receivedAt: batch.receivedAt,
      });
      return { status: 'emitted', event: 'lifecycle' };
    }

    if (item.rawChangeType === null) return drop('malformedItem');
    if (!item.changeType) return { status: 'ignored', reason: 'unsupportedChangeType' };
    const resource = item.resource ?? item.resourceData?.odataId ?? null;
    const target = resource ? parseResource(resource) : null;
    if (!target) return { status: 'ignored', reason: 'unsupportedResource' };
    if (subscription.chatId && 'chatId' in target && target.chatId.toLowerCase() !== subscription.chatId.toLowerCase()) {
      return drop('resourceMismatch');
    }

    let content: unknown = null;
    if (item.encryptedContent) {
      if (!tokens?.ok) return drop(tokens?.reason ?? 'missingValidationToken');
      if (!tokens.tenants.has(tenantId.toLowerCase())) return drop('validationTokenTenantMismatch');
      const decrypted = decryption ? await decryption : decryptResourceData(item.encryptedContent, this.deps.keys);
      if (!decrypted.ok) {
        this.deps.log.warn({ batchId: batch.id, index: item.index, reason: decrypted.reason, detail: decrypted.detail }, 'encrypted content rejected');
        return drop(decrypted.reason);
      }
      content = decrypted.resource;
    } else if (needsFetch(target, item.changeType)) {
      const fetched = await this.fetch(tenantId, target);
      if (!fetched.ok) return drop('resourceUnavailable');
      content = fetched.content;
    }

    const described = describeChange({ tenantId, target, changeType: item.changeType, content, receivedAt: batch.receivedAt });
    if (!described.ok) return described.outcome === 'ignored' ? { status: 'ignored', reason: described.reason } : drop(described.reason);
    const { change } = described;
    return {
      index: item.index,
      item,
      report: {
        tenantId,
        resource: change.resource,
        changeType: item.changeType,
        contentHash: change.contentHash,
        subscriptionId: subscription.id,
        stamp: change.stamp,
        occurrence: `${batch.receivedAt}#${batch.id}#${item.index}`,
      },
      event: { ...change.draft, changeKey: '', source: 'notification', receivedAt: batch.receivedAt },
    };
  }

  /** The stored subscription of an item; waits for it when it is being created right now. */
  private async subscriptionOf(
    id: string,
    item: NotificationItem,
    batch: InboxBatch,
    subscriptions: Map<string, SubscriptionRecord | undefined>,
    signal: AbortSignal,
  ): Promise<SubscriptionRecord | undefined> {
    const lookup = async () => {
      if (!subscriptions.has(id)) subscriptions.set(id, await this.deps.store.subscriptions.get(id));
      return subscriptions.get(id);
    };
    const known = await lookup();
    if (known) return known;
    const pending = this.deps.pendingCreations;
    if (!pending) return undefined;
    const where = { batchId: batch.id, index: item.index, subscriptionId: id };
    const creation = await abortable(pending.lookup(item.clientState), signal);
    if (creation === 'none') return undefined;
    if (creation === 'elsewhere') {
      // Another instance sent the POST and has not stored the record yet: the batch stays in the inbox.
      this.deps.log.info(where, 'notification for a subscription another instance is still creating; tried again later');
      throw new RetryLaterError('unknownSubscription', 'its subscription is still being created');
    }
    subscriptions.delete(id);
    const stored = await lookup();
    if (!stored) this.deps.log.warn(where, 'the subscription this notification came through was not created; dropped');
    return stored;
  }

  private async fetch(tenantId: string, target: ResourceTarget): Promise<{ ok: true; content: unknown } | { ok: false }> {
    const graph = this.deps.chatGraph;
    if (!graph) {
      this.deps.log.warn({ tenantId, kind: target.kind }, 'notification without resource data, and no Graph reader is wired');
      return { ok: false };
    }
    try {
      return { ok: true, content: await graph.getResource(tenantId, resourcePath(target)) };
    } catch (error) {
      const { status, graphCode: code } = describeFailure(error);
      // Gone (404), no access any more (401/403), refused by Graph or before sending (a code without a
      // status): the change cannot be read, now or later. No answer at all, 408, 429, 5xx: try again later.
      const permanent = status === null ? code !== null : status >= 400 && status < 500 && status !== 408 && status !== 429;
      if (permanent) {
        this.deps.log.warn({ tenantId, kind: target.kind, status, code }, 'resource of a notification could not be read');
        return { ok: false };
      }
      throw new RetryLaterError('resourceUnavailable', `reading ${target.kind} failed (${status ?? 'no answer'})`, { cause: error });
    }
  }

  /**
   * Records when a subscription last delivered something authentic (for status pages). At most once a
   * minute per subscription: it is a liveness hint, and every write rewrites the store document.
   */
  private touch(subscription: SubscriptionRecord, receivedAt: string, writes: Promise<unknown>[]): void {
    const last = this.lastTouched.get(subscription.id) ?? subscription.lastNotificationAt;
    if (last && Date.parse(receivedAt) - Date.parse(last) < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(subscription.id, receivedAt);
    writes.push(
      this.deps.store.subscriptions.update(subscription.id, (current) =>
        current && (!current.lastNotificationAt || current.lastNotificationAt < receivedAt) ? { ...current, lastNotificationAt: receivedAt } : current,
      ),
    );
  }

  private report(batch: InboxBatch, index: number, item: NotificationItem | null, outcome: ItemOutcome): void {
    const where = { batchId: batch.id, route: batch.route, index, subscriptionId: item?.subscriptionId ?? null, tenantId: item?.tenantId ?? null };
    if (outcome.status === 'dropped') this.deps.log.warn({ ...where, reason: outcome.reason }, 'notification dropped');
    else if (outcome.status === 'ignored') this.deps.log.info({ ...where, reason: outcome.reason }, 'notification ignored');
    else if (outcome.status === 'duplicate') this.deps.log.debug(where, 'duplicate notification');
  }
}

/** Notifications without resource data: created members and chat updates are read from Graph; deletions cannot be. */
function needsFetch(target: ResourceTarget, changeType: string): boolean {
  if (changeType === 'deleted') return false;
  return target.kind === 'chat' || (target.kind === 'chatMember' && changeType === 'created');
}
