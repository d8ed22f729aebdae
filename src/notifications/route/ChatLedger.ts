import type { ChangeLedger } from '../../events/ChatUnits.js';
import type { ChangeEvent } from '../../model/changeEvents.js';
import type { StoreData } from '../../storage/Store.js';
import type { NotificationItem } from '../decode/normalizeNotification.js';
import { changeLogKey, DedupeRound, type ChangeReport } from './ChangeDeduplicator.js';
import type { ItemOutcome } from './ItemOutcome.js';

/** A decoded notification item that reports a change, waiting for its chat's unit of work. */
export interface PreparedChange {
  index: number;
  item: NotificationItem;
  report: Omit<ChangeReport, 'at'>;
  /** The change, its `changeKey` given when it is admitted. */
  event: ChangeEvent;
}

/**
 * The notification pipeline's bookkeeping for one chat's items of a batch, inside the chat's unit of
 * work: admits the changes not handed on before (DedupeRound over the change logs), and records the
 * logs in the same transaction as what the changes lead to.
 */
export class ChatLedger implements ChangeLedger {
  private round: DedupeRound | null = null;
  private readonly outcomes = new Map<number, ItemOutcome>();

  constructor(
    private readonly changes: readonly PreparedChange[],
    private readonly at: Date,
    /** The source's own record, in the same transaction (the batch removed from the inbox by its last unit). */
    private readonly finish: (tx: StoreData) => Promise<void>,
  ) {}

  async admit(tx: StoreData): Promise<ChangeEvent[]> {
    this.outcomes.clear();
    const round = await DedupeRound.open(tx.changeLogs, this.changes.map(({ report }) => changeLogKey(report.tenantId, report.resource)));
    this.round = round;
    const fresh: ChangeEvent[] = [];
    for (const { index, report, event } of this.changes) {
      const verdict = round.decide({ ...report, at: this.at });
      if (verdict.status === 'stale') this.outcomes.set(index, { status: 'ignored', reason: 'stale' });
      else if (verdict.status === 'duplicate') this.outcomes.set(index, { status: 'duplicate' });
      else {
        fresh.push({ ...event, changeKey: verdict.changeKey });
        this.outcomes.set(index, { status: 'emitted', event: 'change' });
      }
    }
    return fresh;
  }

  async record(tx: StoreData): Promise<void> {
    await this.round?.save(tx.changeLogs);
    await this.finish(tx);
  }

  /** What became of an item, once its unit has committed. */
  outcomeOf(index: number): ItemOutcome {
    return this.outcomes.get(index) ?? { status: 'dropped', reason: 'processingFailed' };
  }
}
