import { pino } from 'pino';
import type { AnnouncementService } from '../../../src/announcements/AnnouncementService.js';
import { ChatUnits } from '../../../src/events/ChatUnits.js';
import { HeraldEvents } from '../../../src/events/HeraldEvents.js';
import type { Store } from '../../../src/storage/Store.js';
import type { ChangeEvent } from '../../../src/model/changeEvents.js';

/** Applies one change as its source would: as its chat's unit of work. */
export function applyChange(context: { units: Pick<ChatUnits, 'apply'> }, event: ChangeEvent): Promise<ChangeEvent[]> {
  return context.units.apply({ chatId: event.chatId, tenantId: event.tenantId, changes: [event] });
}

/** The unit-of-work runner Herald wires, with one announcement service as the handler of changes. */
export function unitsFor(store: Store, service: Pick<AnnouncementService, 'handleChanges'>): ChatUnits {
  const events = new HeraldEvents((_name, error) => {
    throw error;
  });
  events.on('changes', (unit) => service.handleChanges(unit));
  return new ChatUnits({ store, events, log: pino({ level: 'silent' }) });
}
