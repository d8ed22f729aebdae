import type { ChangeEvent, LifecycleEvent } from '../model/changeEvents.js';
import type { Installation } from '../model/installation.js';
import type { StoreData } from '../storage/Store.js';

export interface InstalledEvent {
  installation: Installation;
  /** false when Herald already knew the chat (re-install, refreshed reference). */
  firstTime: boolean;
}

export interface UninstalledEvent {
  chatId: string;
  tenantId: string;
  reason: string;
}

/** Settings changed by a chat command or the tab; `by` is the person's display name. */
export interface SettingsChangedEvent {
  chatId: string;
  by: string | null;
  changes: string[];
  /** Chat commands are answered in the chat already; changes from the tab are announced. */
  source: 'chat' | 'tab';
}

/** What a notification the inbox gave up on was about (any part may be unknown). */
export interface LostNotificationTarget {
  tenantId: string | null;
  chatId: string | null;
  subscriptionId: string | null;
}

/**
 * Notifications were accepted but never handled (their batch kept failing until Graph's own retry window
 * had passed): the chats they were about must be compared with Graph to learn what they carried.
 */
export interface NotificationsLostEvent {
  targets: LostNotificationTarget[];
  reason: string;
}

/**
 * A chat's changes, as one unit of work (see ChatUnits): handlers run inside the chat's lock and
 * transaction and write through `tx` only, so the changes, everything they lead to and the source's
 * exactly-once bookkeeping are stored together or not at all. A handler that throws rolls the unit back.
 */
export interface ChatChangesEvent {
  chatId: string;
  tenantId: string;
  /** In the order they happened; only changes the source had not handed on before. */
  changes: ChangeEvent[];
  /** The unit's transaction. Never read or write through the store itself inside (SQLite has one connection). */
  tx: StoreData;
  /** Runs once the transaction has committed (wake a sender, arm a timer): never for a unit rolled back. */
  afterCommit(fn: () => void): void;
}

export interface HeraldEventMap {
  installed: InstalledEvent;
  uninstalled: UninstalledEvent;
  changes: ChatChangesEvent;
  lifecycle: LifecycleEvent;
  settingsChanged: SettingsChangedEvent;
  notificationsLost: NotificationsLostEvent;
}

export type HeraldEventName = keyof HeraldEventMap;
type Handler<K extends HeraldEventName> = (event: HeraldEventMap[K]) => void | Promise<void>;

export interface EventErrorSink {
  (name: HeraldEventName, error: unknown): void;
}

/**
 * Herald's internal event bus: the bot, the notification pipeline and the subscription manager
 * publish; subscriptions, announcements and history subscribe. No module reaches into another.
 * `emit` resolves when every handler has finished, so callers know when an event was fully handled.
 */
export class HeraldEvents {
  private readonly handlers = new Map<HeraldEventName, Handler<HeraldEventName>[]>();

  constructor(private readonly onError: EventErrorSink = () => {}) {}

  on<K extends HeraldEventName>(name: K, handler: Handler<K>): () => void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler as Handler<HeraldEventName>);
    this.handlers.set(name, list);
    return () => {
      const current = this.handlers.get(name) ?? [];
      this.handlers.set(name, current.filter((h) => h !== handler));
    };
  }

  /** Runs all handlers; one failing handler does not stop the others. Resolves false if any failed. */
  async emit<K extends HeraldEventName>(name: K, event: HeraldEventMap[K]): Promise<boolean> {
    const list = [...(this.handlers.get(name) ?? [])];
    const results = await Promise.allSettled(list.map(async (h) => h(event)));
    let ok = true;
    for (const r of results) {
      if (r.status === 'rejected') {
        ok = false;
        this.onError(name, r.reason);
      }
    }
    return ok;
  }
}
