import type { ResourceChangeLog, SeenChange } from '../../storage/HeraldStore.js';
import type { AsyncCollection } from '../../storage/StoreContract.js';

/**
 * Deduplication of changes reported by Graph.
 *
 * Graph delivers at least once, and a per-chat subscription and a tenant-wide one both report the same
 * change (same resource, same content, different subscriptionId). Notifications carry no id Herald can
 * rely on, so a change is identified by what it says:
 *
 *   resource  = `{tenantId}|{resource}` (e.g. `…|member:19:x@thread.v2:MCMj…`)
 *   identity  = `{changeType}|{hash of the content that matters}` — memberships: the change type alone
 *               (a membership can only be created again after it was deleted, and payloads of the same
 *               change differ between subscriptions, e.g. displayName filled by a GET); chats: topic,
 *               lastUpdatedDateTime, chatType, viewpoint.
 *
 * The same identity legitimately happens twice: someone leaves and re-joins (same membership resource,
 * same content). So every subscription is treated as an observer that reports a resource's changes in
 * order, and a report is new when:
 *   - the identity was never seen (or was forgotten after the retry window), or
 *   - it was superseded by a later change of the resource *and* this same subscription had already
 *     reported it: this subscription reporting it again means it happened again (re-join).
 * A superseded identity reported by a subscription that had not reported it yet is that subscription
 * catching up (the tenant-wide one lagging behind the per-chat one): a duplicate. A not-superseded
 * identity is always a duplicate (retries, the second subscription).
 * Chat payloads carry `lastUpdatedDateTime`; one older than the newest handed on is stale (out of order).
 *
 * What it cannot tell apart: one subscription redelivering an old change after a newer one was handed
 * on (Graph gives no ordering guarantee) looks like a repeat of that change.
 *
 * Decisions are taken in memory, synchronously (so concurrent duplicates cannot both pass), and written
 * to the store by `commit` only after the change was handed on, before the batch leaves the inbox. A
 * crash before both reached the disk (the store may write them up to a second later) replays the batch
 * and re-emits its changes with the same `changeKey`, rather than losing them: at least once, never
 * with a new key.
 * A change decided new is in flight until its own `commit`: a duplicate's `commitDuplicate` (the second subscription
 * reporting it while the first report is still being handled) must not persist it, or a crash before the
 * first report was handled would replay that batch as a duplicate and lose the change.
 * Logs are forgotten after Graph's 4-hour retry window plus a margin.
 *
 * Several instances share the logs: `refresh` merges a resource's stored log (what other instances
 * handed on) into memory before deciding, and `commit` merges into the stored log rather than
 * overwriting it. Two instances deciding the same change within the moment between one's decision and
 * its commit can still both say new; handling a change is idempotent per chat for that reason.
 */
export type DedupeVerdict = { status: 'new'; changeKey: string } | { status: 'duplicate'; changeKey: string } | { status: 'stale' };

export interface ChangeReport {
  tenantId: string;
  /** Canonical resource key, e.g. `member:{chatId}:{membershipId}`. */
  resource: string;
  changeType: string;
  /** Hash of the content that identifies the change ('' when the change type alone does). */
  contentHash: string;
  subscriptionId: string;
  /** `lastUpdatedDateTime` of a chat payload, for ordering. */
  stamp: string | null;
  /** Identifies the first delivery (batch receivedAt + item index): stable across a crash replay. */
  occurrence: string;
  at: Date;
}

export const DEDUPE_RETENTION_MS = (4 + 1) * 60 * 60 * 1000;

export class ChangeDeduplicator {
  private readonly logs = new Map<string, ResourceChangeLog>();
  /** changeKeys decided new whose handling has not finished (not persisted yet), with their stamps. */
  private readonly inFlight = new Map<string, string | null>();
  /** Per resource: the newest stamp of a change whose handling finished (what may be persisted). */
  private readonly settledStamps = new Map<string, string | null>();

  private constructor(private readonly collection: AsyncCollection<ResourceChangeLog>) {}

  static async load(collection: AsyncCollection<ResourceChangeLog>): Promise<ChangeDeduplicator> {
    const dedupe = new ChangeDeduplicator(collection);
    for (const log of await collection.list()) {
      dedupe.logs.set(log.key, log);
      dedupe.settledStamps.set(log.key, log.latestStamp);
    }
    return dedupe;
  }

  /** Learns what other instances handed on for a resource since it was last read (call before `decide`). */
  async refresh(tenantId: string, resource: string): Promise<void> {
    const key = `${tenantId.toLowerCase()}|${resource}`;
    const stored = await this.collection.get(key);
    if (!stored) return;
    const mine = this.logs.get(key);
    this.logs.set(key, mine ? mergeLogs(stored, mine) : structuredClone(stored));
    const settled = this.settledStamps.get(key) ?? null;
    if (stored.latestStamp && (!settled || Date.parse(stored.latestStamp) > Date.parse(settled))) this.settledStamps.set(key, stored.latestStamp);
  }

  decide(report: ChangeReport): DedupeVerdict {
    const key = `${report.tenantId.toLowerCase()}|${report.resource}`;
    const identity = `${report.changeType}|${report.contentHash}`;
    let log = this.logs.get(key);
    if (log && report.stamp && log.latestStamp && Date.parse(report.stamp) < Date.parse(log.latestStamp)) return { status: 'stale' };

    const seen = log?.changes[identity];
    if (seen && (!seen.superseded || !seen.reporters.includes(report.subscriptionId))) {
      if (!seen.reporters.includes(report.subscriptionId)) seen.reporters.push(report.subscriptionId);
      return { status: 'duplicate', changeKey: seen.changeKey };
    }

    log ??= { key, latestStamp: null, changes: {} };
    for (const other of Object.values(log.changes)) other.superseded = true;
    const changeKey = `${key}|${identity}|${report.occurrence}`;
    const change: SeenChange = { changeKey, at: report.at.toISOString(), reporters: [report.subscriptionId], superseded: false };
    log.changes[identity] = change;
    if (report.stamp && (!log.latestStamp || Date.parse(report.stamp) > Date.parse(log.latestStamp))) log.latestStamp = report.stamp;
    this.logs.set(key, log);
    this.inFlight.set(changeKey, report.stamp);
    return { status: 'new', changeKey };
  }

  /**
   * Persists what `decide` learnt about a resource once its change was handed on: `handedOn` names that
   * change; without it every change of the resource counts as handed on.
   */
  commit(tenantId: string, resource: string, handedOn?: string): Promise<void> {
    const key = `${tenantId.toLowerCase()}|${resource}`;
    const log = this.logs.get(key);
    if (!log) return Promise.resolve();
    const settled = handedOn ? [handedOn] : Object.values(log.changes).map((c) => c.changeKey);
    for (const changeKey of settled) this.settle(key, changeKey);
    return this.store(key, this.durable(log));
  }

  /** Persists a duplicate's report (its reporter), leaving out changes of the resource still being handed on. */
  commitDuplicate(tenantId: string, resource: string): Promise<void> {
    const key = `${tenantId.toLowerCase()}|${resource}`;
    const log = this.logs.get(key);
    return log ? this.store(key, this.durable(log)) : Promise.resolve();
  }

  /** Merged into what is stored, atomically: another instance's changes of the resource are kept. */
  private async store(key: string, log: ResourceChangeLog): Promise<void> {
    await this.collection.update(key, (stored) => (stored ? mergeLogs(stored, log) : log));
  }

  private settle(key: string, changeKey: string): void {
    if (!this.inFlight.has(changeKey)) return;
    const stamp = this.inFlight.get(changeKey) ?? null;
    this.inFlight.delete(changeKey);
    const settled = this.settledStamps.get(key) ?? null;
    if (stamp && (!settled || Date.parse(stamp) > Date.parse(settled))) this.settledStamps.set(key, stamp);
  }

  /** The log without changes whose handling has not finished (nor their stamps). */
  private durable(log: ResourceChangeLog): ResourceChangeLog {
    const changes = Object.entries(log.changes);
    if (!changes.some(([, change]) => this.inFlight.has(change.changeKey))) return log;
    return {
      ...log,
      latestStamp: this.settledStamps.get(log.key) ?? null,
      changes: Object.fromEntries(changes.filter(([, change]) => !this.inFlight.has(change.changeKey))),
    };
  }

  /** Forgets changes handed on before `before`; returns how many resources were forgotten entirely. */
  async prune(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    const recent = (changes: Record<string, SeenChange>) => Object.fromEntries(Object.entries(changes).filter(([, change]) => change.at >= cutoff));
    const writes: Promise<unknown>[] = [];
    let forgotten = 0;
    for (const [key, log] of this.logs) {
      const kept = recent(log.changes);
      if (Object.keys(kept).length === Object.keys(log.changes).length) continue;
      const durable = this.durable(log);
      if (Object.keys(kept).length === 0) {
        this.logs.delete(key);
        forgotten++;
      } else log.changes = kept;
      // Pruned after merging with the stored log: another instance's recent changes of the resource stay.
      writes.push(
        this.collection.update(key, (stored) => {
          const merged = stored ? mergeLogs(stored, durable) : durable;
          const changes = recent(merged.changes);
          return Object.keys(changes).length === 0 ? undefined : { ...merged, changes };
        }),
      );
    }
    await Promise.all(writes);
    return forgotten;
  }

  get size(): number {
    return this.logs.size;
  }
}

/**
 * One resource's log as two instances (or the store and memory) know it. Per identity: the same change
 * (same changeKey) keeps every reporter and is superseded if either side says so; different changes of
 * one identity (it happened again) keep the later one (`mine` on a tie). A change older than another one
 * kept is superseded. Fresh objects: `decide` mutates what it holds.
 */
export function mergeLogs(stored: ResourceChangeLog, mine: ResourceChangeLog): ResourceChangeLog {
  const changes: Record<string, SeenChange> = {};
  for (const identity of new Set([...Object.keys(stored.changes), ...Object.keys(mine.changes)])) {
    const theirs = stored.changes[identity];
    const ours = mine.changes[identity];
    if (theirs && ours && theirs.changeKey === ours.changeKey) {
      changes[identity] = { ...ours, reporters: [...new Set([...ours.reporters, ...theirs.reporters])], superseded: ours.superseded || theirs.superseded };
    } else {
      const kept = !theirs || (ours && ours.at >= theirs.at) ? ours! : theirs;
      changes[identity] = { ...kept, reporters: [...kept.reporters] };
    }
  }
  const newest = Object.values(changes).reduce((at, change) => (change.at > at ? change.at : at), '');
  for (const change of Object.values(changes)) if (change.at < newest) change.superseded = true;
  return { key: mine.key, latestStamp: laterStamp(stored.latestStamp, mine.latestStamp), changes };
}

function laterStamp(a: string | null, b: string | null): string | null {
  if (!a || !b) return a ?? b;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
