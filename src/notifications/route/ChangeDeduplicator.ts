import type { ResourceChangeLog, SeenChange } from '../../storage/records.js';
import type { ChangeLogs } from '../../storage/Store.js';

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
 * `decide` reads the resource's stored log, then decides in memory without awaiting anything (so
 * concurrent duplicates cannot both pass), and `commit` writes the log only after the change was handed
 * on, before the batch leaves the inbox. A crash before that replays the batch and re-emits its changes
 * with the same `changeKey`, rather than losing them: at least once, never with a new key.
 * Memory holds only the logs of resources being decided or handed on right now; everything else is in
 * the store, read per resource, so memory does not grow with the number of chats.
 * A change decided new is in flight until its own `commit`: a duplicate's `commitDuplicate` (the second subscription
 * reporting it while the first report is still being handled) must not persist it, or a crash before the
 * first report was handled would replay that batch as a duplicate and lose the change.
 * Logs are forgotten after Graph's 4-hour retry window plus a margin.
 *
 * Several instances share the logs: `decide` merges a resource's stored log (what other instances
 * handed on) into memory first, and `commit` merges into the stored log rather than
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
  /** Logs of the resources being decided or handed on now (dropped once everything about them is stored). */
  private readonly logs = new Map<string, ResourceChangeLog>();
  /** changeKeys decided new whose handling has not finished (not persisted yet): their resource and stamp. */
  private readonly inFlight = new Map<string, { key: string; stamp: string | null }>();
  /** Per resource held: the newest stamp of a change whose handling finished (what may be persisted). */
  private readonly settledStamps = new Map<string, string | null>();
  /** Per resource: reads and writes under way. */
  private readonly busy = new Map<string, number>();
  /** Resources whose log in memory has reporters not stored yet (a duplicate awaiting `commitDuplicate`). */
  private readonly unsaved = new Set<string>();

  constructor(private readonly stored: ChangeLogs) {}

  /** Whether the change is new, a duplicate (of which handed-on change) or stale; reads the resource's stored log first. */
  async decide(report: ChangeReport): Promise<DedupeVerdict> {
    const key = `${report.tenantId.toLowerCase()}|${report.resource}`;
    return this.holding(key, async () => {
      this.learn(key, await this.stored.get(key));
      return this.decideNow(key, report);
    });
  }

  private decideNow(key: string, report: ChangeReport): DedupeVerdict {
    const identity = `${report.changeType}|${report.contentHash}`;
    let log = this.logs.get(key);
    if (log && report.stamp && log.latestStamp && Date.parse(report.stamp) < Date.parse(log.latestStamp)) return { status: 'stale' };

    const seen = log?.changes[identity];
    if (seen && (!seen.superseded || !seen.reporters.includes(report.subscriptionId))) {
      if (!seen.reporters.includes(report.subscriptionId)) {
        seen.reporters.push(report.subscriptionId);
        this.unsaved.add(key);
      }
      return { status: 'duplicate', changeKey: seen.changeKey };
    }

    log ??= { key, latestStamp: null, changes: {} };
    for (const other of Object.values(log.changes)) other.superseded = true;
    const changeKey = `${key}|${identity}|${report.occurrence}`;
    const change: SeenChange = { changeKey, at: report.at.toISOString(), reporters: [report.subscriptionId], superseded: false };
    log.changes[identity] = change;
    if (report.stamp && (!log.latestStamp || Date.parse(report.stamp) > Date.parse(log.latestStamp))) log.latestStamp = report.stamp;
    this.logs.set(key, log);
    this.inFlight.set(changeKey, { key, stamp: report.stamp });
    return { status: 'new', changeKey };
  }

  /** Merges what the store holds for a resource (other instances' changes) into memory. */
  private learn(key: string, stored: ResourceChangeLog | undefined): void {
    if (!stored) return;
    const mine = this.logs.get(key);
    this.logs.set(key, mine ? mergeLogs(stored, mine) : structuredClone(stored));
    const settled = this.settledStamps.get(key) ?? null;
    if (stored.latestStamp && (!settled || Date.parse(stored.latestStamp) > Date.parse(settled))) this.settledStamps.set(key, stored.latestStamp);
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
  private store(key: string, log: ResourceChangeLog): Promise<void> {
    this.unsaved.delete(key);
    return this.holding(key, async () => {
      await this.stored.update(key, (stored) => (stored ? mergeLogs(stored, log) : log));
    });
  }

  /** Runs `task` with the resource's log kept in memory; forgets it after, once nothing about it is pending. */
  private async holding<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    try {
      return await task();
    } finally {
      const left = (this.busy.get(key) ?? 1) - 1;
      if (left > 0) this.busy.set(key, left);
      else {
        this.busy.delete(key);
        if (!this.unsaved.has(key) && ![...this.inFlight.values()].some((change) => change.key === key)) {
          this.logs.delete(key);
          this.settledStamps.delete(key);
        }
      }
    }
  }

  private settle(key: string, changeKey: string): void {
    const change = this.inFlight.get(changeKey);
    if (!change) return;
    this.inFlight.delete(changeKey);
    const settled = this.settledStamps.get(key) ?? null;
    if (change.stamp && (!settled || Date.parse(change.stamp) > Date.parse(settled))) this.settledStamps.set(key, change.stamp);
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
    let forgotten = 0;
    for (const key of await this.stored.keysWithChangesBefore(before)) {
      const mine = this.logs.get(key);
      const durable = mine ? this.durable(mine) : undefined;
      if (mine) mine.changes = recent(mine.changes);
      // Pruned after merging with the stored log: another instance's recent changes of the resource stay.
      const kept = await this.stored.update(key, (stored) => {
        const merged = stored && durable ? mergeLogs(stored, durable) : (stored ?? durable);
        if (!merged) return undefined;
        const changes = recent(merged.changes);
        return Object.keys(changes).length === 0 ? undefined : { ...merged, changes };
      });
      if (kept === undefined) forgotten++;
    }
    return forgotten;
  }

  /** Resources whose log is in memory now (those being decided or handed on). */
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
