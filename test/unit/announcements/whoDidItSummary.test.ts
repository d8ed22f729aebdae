import assert from 'node:assert/strict';
import type { AnnouncementChange, PersonRef } from '../../../src/announcements/AnnouncementChange.js';
import { formatSummary } from '../../../src/announcements/formatSummary.js';
import { netChanges } from '../../../src/announcements/netChanges.js';
import { messagesFor } from '../../../src/i18n/Messages.js';

const person = (name: string, by?: string): PersonRef => ({ userId: `u-${name}`, displayName: name, guest: false, external: false, ...(by ? { by } : {}) });
const at = '2026-01-01T00:00:00.000Z';

describe('who did it, in a summary', () => {
  it('names who added and who removed people, and keeps changes with no known actor apart', () => {
    const changes: AnnouncementChange[] = [
      { kind: 'joined', at, person: person('Grace Hopper', 'Ada Lovelace') },
      { kind: 'joined', at, person: person('Alan Turing', 'Ada Lovelace') },
      { kind: 'joined', at, person: person('Cy Young') },
      { kind: 'left', at, person: person('Bob Jones', 'Ada Lovelace') },
      { kind: 'left', at, person: person('Dee Dee') },
    ];
    assert.equal(formatSummary(netChanges(changes)), 'Cy Young joined · Ada Lovelace added Grace Hopper and Alan Turing · Dee Dee left · Ada Lovelace removed Bob Jones');
  });

  it('says it in the chat\'s language', () => {
    const changes: AnnouncementChange[] = [{ kind: 'joined', at, person: person('Grace Hopper', 'Ada Lovelace') }, { kind: 'left', at, person: person('Bob Jones', 'Ada Lovelace') }];
    assert.equal(formatSummary(netChanges(changes), messagesFor('de')), 'Ada Lovelace hat Grace Hopper hinzugefügt · Ada Lovelace hat Bob Jones entfernt');
  });

  it('a person who joined and left in one window is not credited to anyone', () => {
    const changes: AnnouncementChange[] = [{ kind: 'joined', at, person: person('Tim Temp', 'Ada Lovelace') }, { kind: 'left', at, person: person('Tim Temp', 'Ada Lovelace') }];
    assert.equal(formatSummary(netChanges(changes)), 'Tim Temp joined and left');
  });
});
