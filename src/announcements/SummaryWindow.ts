import type { PendingSummary } from '../model/inbox.js';
import type { Store } from '../storage/Store.js';
import { isAnnouncementChange, type AnnouncementChange, type PersonChange, type PersonRef } from './AnnouncementChange.js';
import type { Timers } from '../kernel/timers.js';
import type { StoreUnit } from './PostQueue.js';

/** How soon a window whose timer fired while the store was unreachable is looked at again. */
const STORE_RETRY_MS = 1_000;

/** How often every instance looks for windows it has no timer for (opened by another, perhaps dead, instance). */
export const WINDOW_SWEEP_MS = 5_000;

export interface SummaryWindowDeps {
  store: Store;
  clock: () => Date;
  timers: Timers;
  /** Called when a chat's window has closed (fire and forget; the caller serialises per chat). */
  onDue: (chatId: string) => void;
  /** Period of the sweep for windows this instance has no timer for; default WINDOW_SWEEP_MS. */
  sweepMs?: number;
}

/**
 * Per-chat summary windows. The first change in a quiet chat opens a window of the chat's length;
 * changes until it closes join it. Windows live in `pendingSummaries`, so what is collected survives
 * a restart (`restore` re-arms the timers, closing overdue windows at once).
 */
export class SummaryWindow {
  private readonly armed = new Map<string, { handle: unknown; at: number }>();
  private stopped = false;
  private sweepHandle: unknown = null;
  /** When this instance last handed each window on: the sweep leaves a window being flushed alone. */
  private readonly handedOn = new Map<string, number>();

  constructor(private readonly deps: SummaryWindowDeps) {}

  /** The changes collected for a chat, in order (unreadable stored entries are skipped). */
  async get(chatId: string): Promise<{ windowEndsAt: string; changes: AnnouncementChange[] } | undefined> {
    const pending = await this.deps.store.pendingSummaries.get(chatId);
    if (!pending) return undefined;
    return { windowEndsAt: pending.windowEndsAt, changes: pending.changes.filter(isAnnouncementChange) };
  }

  /** Whether a window read with `get` has reached its end (no second read of the store). */
  isDue(pending: { windowEndsAt: string }): boolean {
    return Date.parse(pending.windowEndsAt) <= this.deps.clock().getTime();
  }

  /** Closes the window (its changes were handled), through a unit's transaction when given one. */
  async close(chatId: string, within?: StoreUnit): Promise<void> {
    if (!within) {
      this.forget(chatId);
      return this.deps.store.pendingSummaries.delete(chatId);
    }
    await within.tx.pendingSummaries.delete(chatId);
    within.afterCommit(() => this.forget(chatId));
  }

  /**
   * Stores a chat's window with `changes` (all it collects, in order) through a unit's transaction: the
   * window `open` already, or a new one of `windowMs` from now. Its timer is armed once that has committed.
   */
  async keep(within: StoreUnit, chatId: string, changes: unknown[], windowMs: number, open?: Pick<PendingSummary, 'windowEndsAt'>): Promise<void> {
    const windowEndsAt = open?.windowEndsAt ?? new Date(this.deps.clock().getTime() + Math.max(0, windowMs)).toISOString();
    const pending: PendingSummary = { chatId, windowEndsAt, changes };
    await within.tx.pendingSummaries.put(chatId, pending);
    within.afterCommit(() => this.arm(pending));
  }

  private forget(chatId: string): void {
    this.disarm(chatId);
    this.handedOn.delete(chatId);
  }

  /**
   * Re-arms timers for every stored window (after a restart), then keeps doing so periodically: with
   * several instances on one store, a window another instance opened (and may never close, if it died)
   * gets a timer here too. Whichever instance flushes first closes it; the others then find it gone.
   */
  async restore(): Promise<void> {
    this.stopped = false;
    await this.armAll();
    this.scheduleSweep();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepHandle !== null) this.deps.timers.clearTimeout(this.sweepHandle);
    this.sweepHandle = null;
    for (const chatId of [...this.armed.keys()]) this.disarm(chatId);
  }

  private async armAll(): Promise<void> {
    const recently = this.deps.clock().getTime() - (this.deps.sweepMs ?? WINDOW_SWEEP_MS);
    const stored = await this.deps.store.pendingSummaries.all();
    // Windows another instance closed are forgotten here too.
    const open = new Set(stored.map((p) => p.chatId));
    for (const chatId of [...this.handedOn.keys()]) if (!open.has(chatId)) this.handedOn.delete(chatId);
    for (const pending of stored) {
      // Handed on a moment ago and still stored: its flush is under way (or, if it failed, is retried at the next sweep).
      if ((this.handedOn.get(pending.chatId) ?? Number.NEGATIVE_INFINITY) > recently) continue;
      this.arm(pending);
    }
  }

  private handOn(chatId: string): void {
    this.handedOn.set(chatId, this.deps.clock().getTime());
    this.deps.onDue(chatId);
  }

  private scheduleSweep(): void {
    if (this.stopped || this.sweepHandle !== null) return;
    this.sweepHandle = this.deps.timers.setTimeout(() => {
      this.sweepHandle = null;
      // An unreachable store only delays the sweep to the next period.
      void this.armAll().catch(() => undefined).finally(() => this.scheduleSweep());
    }, this.deps.sweepMs ?? WINDOW_SWEEP_MS);
  }

  async openWindows(): Promise<number> {
    return this.deps.store.pendingSummaries.count();
  }

  private arm(pending: PendingSummary): void {
    if (this.stopped) return;
    const at = Date.parse(pending.windowEndsAt) || 0;
    const existing = this.armed.get(pending.chatId);
    if (existing && existing.at === at) return;
    if (existing) this.deps.timers.clearTimeout(existing.handle);
    const delay = at - this.deps.clock().getTime();
    if (delay <= 0) {
      this.armed.delete(pending.chatId);
      this.handOn(pending.chatId);
      return;
    }
    const handle = this.deps.timers.setTimeout(() => void this.fired(pending.chatId), delay);
    this.armed.set(pending.chatId, { handle, at });
  }

  private async fired(chatId: string): Promise<void> {
    this.armed.delete(chatId);
    let current: PendingSummary | undefined;
    try {
      current = await this.deps.store.pendingSummaries.get(chatId);
    } catch {
      // The store is unreachable for a moment: look again shortly rather than leave the window unarmed.
      if (this.stopped) return;
      const handle = this.deps.timers.setTimeout(() => void this.fired(chatId), STORE_RETRY_MS);
      this.armed.set(chatId, { handle, at: Number.NaN });
      return;
    }
    if (!current) return;
    // Timers run on a monotonic clock and may fire a little before the wall clock reaches the end:
    // such a window would be "not due" and, with no timer left, never close. Arm again for the rest.
    if (Date.parse(current.windowEndsAt) > this.deps.clock().getTime()) {
      this.arm(current);
      return;
    }
    this.handOn(chatId);
  }

  /** Makes sure a stored window has its timer (a window found not yet due must not be left unarmed). */
  async rearm(chatId: string): Promise<void> {
    const pending = await this.deps.store.pendingSummaries.get(chatId);
    if (pending) this.arm(pending);
  }

  private disarm(chatId: string): void {
    const existing = this.armed.get(chatId);
    if (existing) this.deps.timers.clearTimeout(existing.handle);
    this.armed.delete(chatId);
  }
}

/**
 * A later report completes a change a window still collects (the newest of that person and kind, not
 * posted yet): Teams named who made a change Graph reported first, or Graph's item said that someone
 * Teams' bot event announced is a guest or external. `amend` returns the person as they should read, or
 * null to leave them. Null when nothing changes (no such change collected).
 */
export function amendPerson(changes: readonly unknown[], userId: string, kind: 'joined' | 'left', amend: (person: PersonRef) => PersonRef | null): unknown[] | null {
  const lower = userId.toLowerCase();
  const index = changes.findLastIndex((c) => isAnnouncementChange(c) && c.kind === kind && c.person.userId.toLowerCase() === lower);
  if (index < 0) return null;
  const change = changes[index] as PersonChange;
  const person = amend(change.person);
  if (!person) return null;
  const amended = [...changes];
  amended[index] = { ...change, person };
  return amended;
}
