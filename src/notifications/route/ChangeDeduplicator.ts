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
 * Decisions are made per unit of work (ChatUnits): one chat's changes, under the chat's lock (one
 * holder across instances), in its transaction. A round reads the logs of the resources it decides about
 * through that transaction, decides in order in memory, and writes the logs it changed back in the same
 * transaction as everything the changes lead to: a crash stores both or neither, so a replay decides
 * identically (same `changeKey`) exactly the changes whose effects were not stored. Every resource
 * belongs to one chat, so the chat's lock is the only lock its log needs.
 * Logs are forgotten after Graph's 4-hour retry window plus a margin.
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

/** The store key of a resource's log. */
export function changeLogKey(tenantId: string, resource: string): string {
  return `${tenantId.toLowerCase()}|${resource}`;
}

/** One unit's deduplication: the logs of its resources, read through its transaction, decided in order. */
export class DedupeRound {
  private readonly logs = new Map<string, ResourceChangeLog>();
  private readonly changed = new Set<string>();

  private constructor() {}

  /** Reads the logs of the resources about to be decided (through the unit's transaction). */
  static async open(logs: Pick<ChangeLogs, 'getMany'>, keys: Iterable<string>): Promise<DedupeRound> {
    const round = new DedupeRound();
    // One query for all of them, however many resources the unit's changes touch.
    for (const [key, log] of await logs.getMany([...new Set(keys)])) round.logs.set(key, log);
    return round;
  }

  /** Whether the change is new, a duplicate (of which handed-on change) or stale. */
  decide(report: ChangeReport): DedupeVerdict {
    const key = changeLogKey(report.tenantId, report.resource);
    const identity = `${report.changeType}|${report.contentHash}`;
    let log = this.logs.get(key);
    if (log && report.stamp && log.latestStamp && Date.parse(report.stamp) < Date.parse(log.latestStamp)) return { status: 'stale' };

    const seen = log?.changes[identity];
    if (seen && (!seen.superseded || !seen.reporters.includes(report.subscriptionId))) {
      if (!seen.reporters.includes(report.subscriptionId)) {
        seen.reporters.push(report.subscriptionId);
        this.changed.add(key);
      }
      return { status: 'duplicate', changeKey: seen.changeKey };
    }

    log ??= { key, latestStamp: null, changes: {} };
    if (report.stamp && log.latestStamp && Date.parse(report.stamp) > Date.parse(log.latestStamp)) {
      // A newer stamped change: any report of the older ones carries an older stamp and is stale, so they
      // need not be kept (a busy chat's log stays one entry long instead of growing for hours).
      log.changes = {};
    }
    for (const other of Object.values(log.changes)) other.superseded = true;
    const changeKey = `${key}|${identity}|${report.occurrence}`;
    const change: SeenChange = { changeKey, at: report.at.toISOString(), reporters: [report.subscriptionId], superseded: false };
    log.changes[identity] = change;
    if (report.stamp && (!log.latestStamp || Date.parse(report.stamp) > Date.parse(log.latestStamp))) log.latestStamp = report.stamp;
    this.logs.set(key, log);
    this.changed.add(key);
    return { status: 'new', changeKey };
  }

  /** Writes the logs this round changed (through the same transaction). */
  async save(logs: Pick<ChangeLogs, 'putMany'>): Promise<void> {
    if (this.changed.size === 0) return;
    await logs.putMany([...this.changed].map((key) => [key, this.logs.get(key) as ResourceChangeLog] as const));
    this.changed.clear();
  }
}

/**
 * Forgets changes handed on before `before`; resolves with how many resources were forgotten entirely.
 * Each log is rewritten atomically; a unit rewriting the same log at that moment may keep what was
 * pruned, which the next pruning removes.
 */
export async function pruneChangeLogs(logs: ChangeLogs, before: Date): Promise<number> {
  const cutoff = before.toISOString();
  let forgotten = 0;
  for (const key of await logs.keysWithChangesBefore(before)) {
    const kept = await logs.update(key, (stored) => {
      if (!stored) return undefined;
      const changes = Object.fromEntries(Object.entries(stored.changes).filter(([, change]) => change.at >= cutoff));
      return Object.keys(changes).length === 0 ? undefined : { ...stored, changes };
    });
    if (kept === undefined) forgotten++;
  }
  return forgotten;
}
