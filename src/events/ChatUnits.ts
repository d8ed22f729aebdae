import type { Logger } from 'pino';
import { HeraldError } from '../kernel/errors.js';
import type { ChangeEvent } from '../model/changeEvents.js';
import type { Store, StoreData } from '../storage/Store.js';
import type { HeraldEvents } from './HeraldEvents.js';

/**
 * The key that serialises everything about one chat's state, on every instance: applying changes,
 * closing its summary window, sending its posts.
 */
export function chatLockKey(chatId: string): string {
  return `announce:chat:${chatId}`;
}

/**
 * A source's exactly-once bookkeeping (the notification pipeline's change logs and batch progress),
 * kept in the same transaction as what the changes lead to: a crash anywhere either stores both or
 * neither, so a replay hands on exactly what was not handed on.
 */
export interface ChangeLedger {
  /** Inside the unit's transaction, before the handlers: the changes not handed on before, in order. */
  admit(tx: StoreData): Promise<ChangeEvent[]>;
  /** Inside the same transaction, once every handler succeeded: records them as handed on. */
  record(tx: StoreData): Promise<void>;
}

/** One chat's changes from one source (a notification batch's items for the chat, a bot event, a reconcile). */
export interface ChatUnit {
  chatId: string;
  tenantId: string;
  changes: ChangeEvent[];
  ledger?: ChangeLedger;
}

/** A handler of a chat's changes failed: the unit was rolled back, nothing of it is stored. */
export class ChangeHandlerError extends HeraldError {
  constructor(chatId: string) {
    super('herald.changes.handler_failed', `applying the changes of chat ${chatId} failed`, { context: { chatId } });
    this.name = 'ChangeHandlerError';
  }
}

export interface ChatUnitsDeps {
  store: Pick<Store, 'lockedTransaction'>;
  events: Pick<HeraldEvents, 'emit'>;
  log: Logger;
}

/**
 * Applies a chat's changes as one unit of work, whatever their source: `changesComing` first (lookups that
 * need the network, holding nothing), then under the chat's lock (one
 * holder across instances), in one transaction: the ledger admits the new changes, the `changes`
 * handlers apply them (state, roster, window or post, history), the ledger records them, and all of it
 * commits at once (one fsync on SQLite, shared with concurrent units; one round trip per statement on
 * PostgreSQL, never one per change). Then the handlers' after-commit work runs.
 */
export class ChatUnits {
  constructor(private readonly deps: ChatUnitsDeps) {}

  /**
   * Resolves with the changes handed on once they are stored.
   * @throws ChangeHandlerError when a handler failed (nothing was stored; the caller may try again).
   */
  async apply(unit: ChatUnit): Promise<ChangeEvent[]> {
    const { store, events, log } = this.deps;
    await this.prepared(unit);
    let after: Array<() => void> = [];
    const handedOn = await store.lockedTransaction(chatLockKey(unit.chatId), async (tx) => {
      // A transaction retried by the engine runs this again from the start.
      after = [];
      const fresh = unit.ledger ? await unit.ledger.admit(tx) : unit.changes;
      if (fresh.length > 0) {
        const handled = await events.emit('changes', { chatId: unit.chatId, tenantId: unit.tenantId, changes: fresh, tx, afterCommit: (fn) => void after.push(fn) });
        if (!handled) throw new ChangeHandlerError(unit.chatId);
      }
      await unit.ledger?.record(tx);
      return fresh;
    });
    for (const fn of after) {
      try {
        fn();
      } catch (error) {
        log.error({ err: error, chatId: unit.chatId }, "work after storing a chat's changes failed");
      }
    }
    return handedOn;
  }

  /** Lets handlers look things up first, holding nothing: a failure there only costs the unit a lookup later. */
  private async prepared(unit: ChatUnit): Promise<void> {
    await this.deps.events.emit('changesComing', { chatId: unit.chatId, tenantId: unit.tenantId, changes: unit.changes });
  }
}
