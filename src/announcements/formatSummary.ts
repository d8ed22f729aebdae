import type { PersonRef } from './AnnouncementChange.js';
import type { NetSummary } from './netChanges.js';
import { ENGLISH, type MessageKey, type Messages, type MessageValues } from '../i18n/Messages.js';

/** A piece of a line; names and topics are bold, markers such as "(Guest)" subtle. */
export interface TextRun {
  text: string;
  bold?: boolean;
  subtle?: boolean;
}

export type SummaryLineKind = 'joined' | 'joinedAndLeft' | 'left' | 'renamed' | 'settings';

/** One line of an announcement: the card renders `runs`, notifications and screen readers get `text`. */
export interface SummaryLine {
  kind: SummaryLineKind;
  runs: TextRun[];
  text: string;
  /** The people a long list summarised as "and N others" (card only), or null. */
  others: string | null;
}

/** Shown instead of a name Herald could not resolve; never an id. */
export const NEUTRAL_NAME = ENGLISH.text('person.someone');
export const LINE_SEPARATOR = ' · ';
/** A list longer than this names the first two and counts the rest. */
const MAX_LISTED = 3;
const MAX_OTHERS_NAMED = 20;

function marker(person: PersonRef, messages: Messages): string {
  if (person.guest) return messages.text('person.guest');
  if (person.external) return messages.text('person.external');
  return '';
}

function personRuns(person: PersonRef, messages: Messages): TextRun[] {
  const runs: TextRun[] = [{ text: person.displayName ?? messages.text('person.someone'), bold: person.displayName !== null }];
  const mark = marker(person, messages);
  if (mark) runs.push({ text: mark, subtle: true });
  return runs;
}

function plainPerson(person: PersonRef, messages: Messages): string {
  return `${person.displayName ?? messages.text('person.someone')}${marker(person, messages)}`;
}

/** Guests and external people first (admins care), then named people, then unnamed ones. */
function ordered(people: readonly PersonRef[]): PersonRef[] {
  const rank = (p: PersonRef) => (p.displayName ? 0 : 2) + (p.guest || p.external ? 0 : 1);
  return people.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map(({ p }) => p);
}

/** "and" and "2 others" as one run, as Herald has always written it. */
function pushPlain(runs: TextRun[], text: string): void {
  const last = runs.at(-1);
  if (last && !last.bold && !last.subtle) last.text += text;
  else runs.push({ text });
}

/** The people of a line as runs: the language's list of names, or a count when there are many or none is known. */
function peopleRuns(all: readonly PersonRef[], messages: Messages): { runs: TextRun[]; others: string | null } {
  const named = all.filter((p) => p.displayName !== null);
  if (all.length > 1 && named.length === 0) return { runs: [{ text: messages.text('people.unnamed', { count: all.length }) }], others: null };
  const shown = all.length <= MAX_LISTED && named.length === all.length ? all : all.length === 1 ? all : named.slice(0, 2);
  const rest = all.length - shown.length;
  const items: TextRun[][] = shown.map((person) => personRuns(person, messages));
  if (rest > 0) items.push([{ text: messages.text('people.others', { count: rest }) }]);
  const runs: TextRun[] = [];
  for (const part of messages.listParts(items.length)) {
    if ('text' in part) runs.push({ text: part.text });
    else if (part.element < shown.length) runs.push(...items[part.element]);
    else pushPlain(runs, items[part.element][0].text);
  }
  let others: string | null = null;
  const hiddenNamed = named.slice(shown.length);
  if (rest > 0 && hiddenNamed.length > 0) {
    const listed = hiddenNamed.slice(0, MAX_OTHERS_NAMED).map((p) => plainPerson(p, messages));
    others = messages.text('people.alsoNamed', { names: listed.join(', '), more: rest - listed.length });
  }
  return { runs, others };
}

const PEOPLE_MESSAGES = { joined: 'summary.joined', joinedAndLeft: 'summary.joinedAndLeft', left: 'summary.left' } as const;

/** Runs of a message whose rich arguments are runs of their own (names in bold). */
function messageRuns(messages: Messages, key: MessageKey, values: MessageValues, rich: Record<string, TextRun[]>): TextRun[] {
  const runs: TextRun[] = [];
  for (const part of messages.parts(key, values, rich)) {
    if ('text' in part) runs.push({ text: part.text });
    else runs.push(...part.rich);
  }
  return runs;
}

/** "Ada added Grace and Alan" / "Ada removed Bob" when Teams named who did it; otherwise "… joined" / "… left". */
function peopleLine(kind: 'joined' | 'joinedAndLeft' | 'left', people: readonly PersonRef[], messages: Messages, by: string | null = null): SummaryLine {
  const all = ordered(people);
  const { runs: listed, others } = peopleRuns(all, messages);
  const runs =
    by && kind !== 'joinedAndLeft'
      ? messageRuns(messages, kind === 'joined' ? 'summary.addedBy' : 'summary.removedBy', {}, { actor: [{ text: by, bold: true }], people: listed })
      : messageRuns(messages, PEOPLE_MESSAGES[kind], { count: all.length }, { people: listed });
  return { kind, runs, text: runs.map((r) => r.text).join(''), others };
}

/** People grouped by who made their change: those with no known actor first (as Graph reports them), then one group per actor. */
function byActor(people: readonly PersonRef[]): Array<{ by: string | null; people: PersonRef[] }> {
  const groups = new Map<string | null, PersonRef[]>();
  for (const person of people) {
    const key = person.by ?? null;
    groups.set(key, [...(groups.get(key) ?? []), person]);
  }
  return [...groups].sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : 0)).map(([by, group]) => ({ by, people: group }));
}

function renameLine(from: string | null, to: string | null, messages: Messages): SummaryLine {
  const topic = (t: string | null): TextRun[] => [{ text: messages.text('summary.quotedTopic', { topic: t ?? '' }), bold: true }];
  let runs: TextRun[];
  if (from === null && to !== null) runs = messageRuns(messages, 'summary.topicSet', {}, { topic: topic(to) });
  else if (to === null && from !== null) runs = messageRuns(messages, 'summary.topicCleared', {}, { topic: topic(from) });
  else runs = messageRuns(messages, 'summary.renamed', {}, { from: topic(from), to: topic(to) });
  return { kind: 'renamed', runs, text: runs.map((r) => r.text).join(''), others: null };
}

/** The lines of a summary, in a fixed order: joins, joined-and-left, leaves, topic. */
export function summaryLines(summary: NetSummary, messages: Messages = ENGLISH): SummaryLine[] {
  const lines: SummaryLine[] = [];
  for (const group of byActor(summary.joined)) lines.push(peopleLine('joined', group.people, messages, group.by));
  if (summary.joinedAndLeft.length > 0) lines.push(peopleLine('joinedAndLeft', summary.joinedAndLeft, messages));
  for (const group of byActor(summary.left)) lines.push(peopleLine('left', group.people, messages, group.by));
  if (summary.rename) lines.push(renameLine(summary.rename.from, summary.rename.to, messages));
  return lines;
}

/** "Ann changed Herald's settings: joins off" (changes made from the tab). */
export function settingsLine(by: string | null, changes: readonly string[], messages: Messages = ENGLISH): SummaryLine {
  const who: TextRun = { text: by?.trim() ? by : messages.text('person.someone'), bold: Boolean(by?.trim()) };
  const runs = messageRuns(messages, 'summary.settingsChanged', { changes: changes.join('; ') }, { who: [who] });
  return { kind: 'settings', runs, text: runs.map((r) => r.text).join(''), others: null };
}

export function linesText(lines: readonly SummaryLine[]): string {
  return lines.map((l) => l.text).join(LINE_SEPARATOR);
}

/** The plain-text form of a summary ("Alice, Bob and 3 others joined · Carol left"). */
export function formatSummary(summary: NetSummary, messages: Messages = ENGLISH): string {
  return linesText(summaryLines(summary, messages));
}
