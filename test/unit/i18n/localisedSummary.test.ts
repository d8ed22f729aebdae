import assert from 'node:assert/strict';
import type { AnnouncementChange, PersonRef } from '../../../src/announcements/AnnouncementChange.js';
import { buildAnnouncementActivity } from '../../../src/announcements/buildAnnouncementCard.js';
import { formatSummary, settingsLine, summaryLines } from '../../../src/announcements/formatSummary.js';
import { netChanges } from '../../../src/announcements/netChanges.js';
import { messagesFor } from '../../../src/i18n/Messages.js';
import type { Language } from '../../../src/i18n/languages.js';

const at = '2026-01-01T12:00:00.000Z';
let ids = 0;
const p = (displayName: string | null, flags: Partial<PersonRef> = {}): PersonRef => ({ userId: `u${++ids}`, displayName, guest: false, external: false, ...flags });
const NAMES = ['Ada', 'Alan', 'Grace', 'Linus', 'Barbara'];
const changes = (kind: 'joined' | 'left', count: number): AnnouncementChange[] => NAMES.slice(0, count).map((n) => ({ kind, at, person: p(n) }));
const say = (language: Language, kind: 'joined' | 'left', count: number) => formatSummary(netChanges(changes(kind, count)), messagesFor(language));

const EXPECTED: Record<Language, Record<'joined' | 'left', [string, string, string]>> = {
  en: {
    joined: ['Ada joined', 'Ada and Alan joined', 'Ada, Alan and 3 others joined'],
    left: ['Ada left', 'Ada and Alan left', 'Ada, Alan and 3 others left'],
  },
  de: {
    joined: ['Ada ist beigetreten', 'Ada und Alan sind beigetreten', 'Ada, Alan und 3 weitere Personen sind beigetreten'],
    left: ['Ada hat den Chat verlassen', 'Ada und Alan haben den Chat verlassen', 'Ada, Alan und 3 weitere Personen haben den Chat verlassen'],
  },
  fr: {
    joined: ['Ada a rejoint la conversation', 'Ada et Alan ont rejoint la conversation', 'Ada, Alan et 3 autres personnes ont rejoint la conversation'],
    left: ['Ada a quitté la conversation', 'Ada et Alan ont quitté la conversation', 'Ada, Alan et 3 autres personnes ont quitté la conversation'],
  },
  es: {
    joined: ['Ada se unió al chat', 'Ada y Alan se unieron al chat', 'Ada, Alan y 3 personas más se unieron al chat'],
    left: ['Ada salió del chat', 'Ada y Alan salieron del chat', 'Ada, Alan y 3 personas más salieron del chat'],
  },
};

describe('announcements in the chat\'s language', () => {
  for (const [language, byKind] of Object.entries(EXPECTED) as Array<[Language, (typeof EXPECTED)[Language]]>) {
    for (const kind of ['joined', 'left'] as const) {
      it(`${language}: ${kind} for 1, 2 and 5 people, with the language's plural forms`, () => {
        assert.deepEqual([1, 2, 5].map((n) => say(language, kind, n)), byKind[kind]);
      });
    }
  }

  it('keeps names bold and markers subtle in every language', () => {
    const [line] = summaryLines(netChanges([{ kind: 'joined', at, person: p('Ada', { guest: true }) }, { kind: 'joined', at, person: p('Alan') }]), messagesFor('de'));
    assert.deepEqual(line.runs, [{ text: 'Ada', bold: true }, { text: ' (Gast)', subtle: true }, { text: ' und ' }, { text: 'Alan', bold: true }, { text: ' sind beigetreten' }]);
  });

  it('names the people an "others" count hides in the language', () => {
    const [line] = summaryLines(netChanges(changes('joined', 5)), messagesFor('fr'));
    assert.equal(line.others, 'Aussi : Grace, Linus, Barbara');
  });

  it('writes renames and an unknown name in the language', () => {
    const rename: AnnouncementChange = { kind: 'renamed', at, from: 'Alt', to: 'Neu' };
    assert.equal(formatSummary(netChanges([rename]), messagesFor('de')), 'Chat von „Alt“ in „Neu“ umbenannt');
    assert.equal(formatSummary(netChanges([{ kind: 'left', at, person: p(null) }]), messagesFor('es')), 'Alguien salió del chat');
    assert.equal(formatSummary(netChanges(NAMES.slice(0, 2).map(() => ({ kind: 'left' as const, at, person: p(null) }))), messagesFor('es')), '2 personas salieron del chat');
  });

  it('builds the card and its plain text in the language', () => {
    const activity = buildAnnouncementActivity([settingsLine('Ada', ['joins off'], messagesFor('de'))]);
    assert.equal(activity.summary, 'Ada hat die Einstellungen von Herald geändert: joins off');
  });
});
