import assert from 'node:assert/strict';
import type { AnnouncementChange, PersonRef } from '../../../src/announcements/AnnouncementChange.js';
import { ADAPTIVE_CARD_CONTENT_TYPE, buildAnnouncementActivity, buildAnnouncementCard } from '../../../src/announcements/buildAnnouncementCard.js';
import { formatSummary, settingsLine, summaryLines } from '../../../src/announcements/formatSummary.js';
import { netChanges, selectAnnounced } from '../../../src/announcements/netChanges.js';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';

const at = '2026-01-01T12:00:00.000Z';
let ids = 0;
const p = (displayName: string | null, flags: Partial<PersonRef> = {}): PersonRef => ({ userId: `u${++ids}`, displayName, guest: false, external: false, ...flags });
const join = (person: PersonRef): AnnouncementChange => ({ kind: 'joined', at, person });
const leave = (person: PersonRef): AnnouncementChange => ({ kind: 'left', at, person });
const rename = (from: string | null, to: string | null): AnnouncementChange => ({ kind: 'renamed', at, from, to });
const text = (changes: AnnouncementChange[]) => formatSummary(netChanges(changes));

describe('announcement text', () => {
  it('names one person', () => {
    assert.equal(text([join(p('Alice Example'))]), 'Alice Example joined');
    assert.equal(text([leave(p('Bob Jones'))]), 'Bob Jones left');
  });

  it('lists up to three people and summarises longer lists', () => {
    assert.equal(text([join(p('Alice')), join(p('Bob'))]), 'Alice and Bob joined');
    assert.equal(text([join(p('Alice')), join(p('Bob')), join(p('Carol'))]), 'Alice, Bob and Carol joined');
    const five = ['Alice', 'Bob', 'Carol', 'Dan', 'Eve'].map((n) => join(p(n)));
    assert.equal(text([...five, leave(p('Frank'))]), 'Alice, Bob and 3 others joined · Frank left');
  });

  it('nets a join followed by a leave inside the window', () => {
    const dan = p('Dan');
    assert.equal(text([join(dan), leave(dan)]), 'Dan joined and left');
  });

  it('drops a leave followed by a rejoin (the chat is as it was)', () => {
    const dan = p('Dan');
    assert.equal(text([leave(dan), join(dan)]), '');
  });

  it('collapses several renames and drops a rename back to where it started', () => {
    assert.equal(text([rename('Alpha', 'Beta'), rename('Beta', 'Gamma')]), "Chat renamed from 'Alpha' to 'Gamma'");
    assert.equal(text([rename('Alpha', 'Beta'), rename('Beta', 'Alpha')]), '');
    assert.equal(text([rename(null, 'Beta')]), "Chat topic set to 'Beta'");
    assert.equal(text([rename('Alpha', null)]), "Chat topic cleared (was 'Alpha')");
  });

  it('puts joins, joined-and-left, leaves and the topic in that order', () => {
    const dan = p('Dan');
    assert.equal(
      text([rename('Alpha', 'Beta'), leave(p('Carol')), join(dan), join(p('Alice')), leave(dan)]),
      "Alice joined · Dan joined and left · Carol left · Chat renamed from 'Alpha' to 'Beta'",
    );
  });

  it('marks guests and external people, and names them first in long lists', () => {
    assert.equal(text([join(p('Gina', { guest: true }))]), 'Gina (Guest) joined');
    const many = [p('Alice'), p('Bob'), p('Carol'), p('Xavier', { external: true })].map(join);
    assert.equal(text(many), 'Xavier (External), Alice and 2 others joined');
  });

  it('never shows an id: unnamed people get a neutral label or a count', () => {
    assert.equal(text([join(p(null))]), 'Someone joined');
    assert.equal(text([join(p(null, { guest: true }))]), 'Someone (Guest) joined');
    assert.equal(text([join(p(null)), join(p(null))]), '2 people joined');
    assert.equal(text([join(p('Alice')), join(p(null))]), 'Alice and 1 other joined');
  });

  it('announces settings changed from the tab', () => {
    assert.equal(settingsLine('Ann', ['joins off', 'summary window 30s']).text, "Ann changed Herald's settings: joins off; summary window 30s");
    assert.equal(settingsLine(null, ['joins off']).text, "Someone changed Herald's settings: joins off");
  });
});

describe('announcement settings filter', () => {
  const guest = p('Gina', { guest: true });
  const regular = p('Rob');
  const summary = netChanges([join(guest), join(regular), leave(p('Lee')), rename('A', 'B')]);

  it('keeps only what the chat asked for', () => {
    assert.equal(formatSummary(selectAnnounced(summary, { ...DEFAULT_CHAT_SETTINGS, announceJoins: false })), "Lee left · Chat renamed from 'A' to 'B'");
    assert.equal(formatSummary(selectAnnounced(summary, { ...DEFAULT_CHAT_SETTINGS, announceLeaves: false, announceTopic: false })), 'Gina (Guest) and Rob joined');
    assert.equal(formatSummary(selectAnnounced(summary, { ...DEFAULT_CHAT_SETTINGS, guestsOnly: true })), "Gina (Guest) joined · Chat renamed from 'A' to 'B'");
    assert.equal(formatSummary(selectAnnounced(summary, { ...DEFAULT_CHAT_SETTINGS, enabled: false })), '');
  });
});

describe('announcement card', () => {
  const lines = summaryLines(netChanges([...['Alice', 'Bob', 'Carol', 'Dan'].map((n) => join(p(n))), join(p('Gina', { guest: true }))]));

  it('is an Adaptive Card 1.5 with the plain text as fallback and speech', () => {
    const card = buildAnnouncementCard(lines);
    assert.equal(card.type, 'AdaptiveCard');
    assert.equal(card.version, '1.5');
    assert.equal(card.fallbackText, 'Gina (Guest), Alice and 3 others joined');
    assert.equal(card.speak, card.fallbackText);
  });

  it('uses no fixed colours, so it reads in light and dark themes', () => {
    const json = JSON.stringify(buildAnnouncementCard(lines));
    assert.doesNotMatch(json, /"color"|#[0-9a-f]{3,6}\b|"style"\s*:\s*"(emphasis|accent|good|attention|warning)"/i);
  });

  it('shows names in text runs (no markdown), with the people an "others" count hides', () => {
    const card = buildAnnouncementCard(summaryLines(netChanges([join(p('**Not bold** [x](http://y)')), ...['B', 'C', 'D'].map((n) => join(p(n)))])));
    const json = JSON.stringify(card);
    assert.match(json, /"type":"TextRun","text":"\*\*Not bold\*\* \[x\]\(http:\/\/y\)","weight":"Bolder"/);
    assert.match(json, /"text":"Also: C, D"/);
    assert.doesNotMatch(json, /"type":"TextBlock","text":"[^"]*Not bold/);
  });

  it('carries the plain text in summary for notifications, and no text line that Teams would show beside the card', () => {
    const activity = buildAnnouncementActivity(lines);
    assert.equal(activity.summary, 'Gina (Guest), Alice and 3 others joined');
    assert.equal(activity.text, undefined);
    assert.equal(activity.textFormat, undefined);
    assert.equal(activity.attachments?.[0]?.contentType, ADAPTIVE_CARD_CONTENT_TYPE);
    assert.equal((activity.attachments?.[0]?.content as { fallbackText?: string }).fallbackText, activity.summary, 'clients without cards show the fallback');
  });

  it('is a full-width card in Teams', () => {
    assert.deepEqual(buildAnnouncementCard(lines).msteams, { width: 'Full' });
  });

  it('stays far below Teams\' 28 KB activity limit for a large burst', () => {
    const burst = Array.from({ length: 500 }, (_, i) => join(p(`Person number ${i} with a fairly long display name`)));
    assert.ok(JSON.stringify(buildAnnouncementActivity(summaryLines(netChanges(burst)))).length < 8_000);
  });
});

describe('names and topics with markup in an announcement', () => {
  const eve = '<b>Eve</b>';
  const mallory = '**Mallory**';
  const link = '[x](https://evil.example)';
  const topic = '# _Launch_ `crew`';
  const lines = summaryLines(netChanges([join(p(eve)), join(p(mallory)), join(p(link)), rename('Old', topic)]));
  const plain = `${eve}, ${mallory} and ${link} joined · Chat renamed from 'Old' to '${topic}'`;
  const decode = (s: string) => s.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));

  type Node = { type?: string; text?: string; [key: string]: unknown };
  function nodes(value: unknown, out: Node[] = []): Node[] {
    if (Array.isArray(value)) value.forEach((v) => nodes(v, out));
    else if (value && typeof value === 'object') {
      out.push(value as Node);
      Object.values(value).forEach((v) => nodes(v, out));
    }
    return out;
  }

  it('keeps them as typed in the summary (notification previews are plain text)', () => {
    assert.equal(buildAnnouncementActivity(lines).summary, plain);
  });

  it('escapes them in the card’s fallbackText (which may contain Markdown), decoding to the text as typed', () => {
    const fallback = buildAnnouncementCard(lines).fallbackText ?? '';
    assert.equal(decode(fallback), plain);
    assert.doesNotMatch(fallback.replace(/&#\d+;/g, ''), /[*_`<>[\]#]/);
  });

  it('escapes them for speech (SSML)', () => {
    const speak = buildAnnouncementCard(lines).speak ?? '';
    assert.doesNotMatch(speak, /<|>/);
    assert.match(speak, /&lt;b&gt;Eve&lt;\/b&gt;/);
  });

  it('puts them only in TextRuns, which Teams never formats, and in no TextBlock', () => {
    const all = nodes(buildAnnouncementCard(lines).body);
    const runs = all.filter((n) => n.type === 'TextRun').map((n) => n.text);
    for (const name of [eve, mallory, link, `'${topic}'`]) assert.ok(runs.includes(name), `${name} is a TextRun of its own`);
    const blocks = all.filter((n) => n.type === 'TextBlock').map((n) => n.text ?? '');
    assert.ok(blocks.every((t) => !/Eve|Mallory|evil|Launch/.test(t)), blocks.join(' | '));
  });

  it('never expands template expressions inside a name', () => {
    const card = buildAnnouncementCard(summaryLines(netChanges([join(p('${plainText} ${lines}'))])));
    const runs = nodes(card.body).filter((n) => n.type === 'TextRun').map((n) => n.text);
    assert.ok(runs.includes('${plainText} ${lines}'));
  });

  it('keeps a name as typed in the settings line posted for a change from the tab', () => {
    const activity = buildAnnouncementActivity([settingsLine(mallory, ['joins off'])]);
    assert.equal(activity.summary, "**Mallory** changed Herald's settings: joins off");
    const runs = nodes((activity.attachments?.[0]?.content as { body: unknown }).body).filter((n) => n.type === 'TextRun').map((n) => n.text);
    assert.equal(runs[0], mallory);
  });
});
