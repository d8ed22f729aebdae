import type { PersonRef } from './AnnouncementChange.js';
import type { NetSummary } from './netChanges.js';

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
export const NEUTRAL_NAME = 'Someone';
export const LINE_SEPARATOR = ' · ';
/** A list longer than this names the first two and counts the rest. */
const MAX_LISTED = 3;
const MAX_OTHERS_NAMED = 20;

function marker(person: PersonRef): string {
  if (person.guest) return ' (Guest)';
  if (person.external) return ' (External)';
  return '';
}

function personRuns(person: PersonRef): TextRun[] {
  const runs: TextRun[] = [{ text: person.displayName ?? NEUTRAL_NAME, bold: person.displayName !== null }];
  const mark = marker(person);
  if (mark) runs.push({ text: mark, subtle: true });
  return runs;
}

function plainPerson(person: PersonRef): string {
  return `${person.displayName ?? NEUTRAL_NAME}${marker(person)}`;
}

/** Guests and external people first (admins care), then named people, then unnamed ones. */
function ordered(people: readonly PersonRef[]): PersonRef[] {
  const rank = (p: PersonRef) => (p.displayName ? 0 : 2) + (p.guest || p.external ? 0 : 1);
  return people.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map(({ p }) => p);
}

function peopleLine(kind: 'joined' | 'joinedAndLeft' | 'left', people: readonly PersonRef[]): SummaryLine {
  const verb = kind === 'joined' ? 'joined' : kind === 'left' ? 'left' : 'joined and left';
  const all = ordered(people);
  const named = all.filter((p) => p.displayName !== null);
  const runs: TextRun[] = [];
  let others: string | null = null;
  if (all.length > 1 && named.length === 0) {
    runs.push({ text: `${all.length} people` });
  } else {
    const shown = all.length <= MAX_LISTED && named.length === all.length ? all : all.length === 1 ? all : named.slice(0, 2);
    const rest = all.length - shown.length;
    shown.forEach((person, i) => {
      if (i > 0) runs.push({ text: rest === 0 && i === shown.length - 1 ? ' and ' : ', ' });
      runs.push(...personRuns(person));
    });
    if (rest > 0) runs.push({ text: ` and ${rest} ${rest === 1 ? 'other' : 'others'}` });
    const hiddenNamed = named.slice(shown.length);
    if (rest > 0 && hiddenNamed.length > 0) {
      const listed = hiddenNamed.slice(0, MAX_OTHERS_NAMED).map(plainPerson);
      const more = rest - listed.length;
      others = `Also: ${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
    }
  }
  runs.push({ text: ` ${verb}` });
  return { kind, runs, text: runs.map((r) => r.text).join(''), others };
}

const quoted = (topic: string) => `'${topic}'`;

function renameLine(from: string | null, to: string | null): SummaryLine {
  let runs: TextRun[];
  if (from === null && to !== null) runs = [{ text: 'Chat topic set to ' }, { text: quoted(to), bold: true }];
  else if (to === null && from !== null) runs = [{ text: 'Chat topic cleared (was ' }, { text: quoted(from), bold: true }, { text: ')' }];
  else runs = [{ text: 'Chat renamed from ' }, { text: quoted(from ?? ''), bold: true }, { text: ' to ' }, { text: quoted(to ?? ''), bold: true }];
  return { kind: 'renamed', runs, text: runs.map((r) => r.text).join(''), others: null };
}

/** The lines of a summary, in a fixed order: joins, joined-and-left, leaves, topic. */
export function summaryLines(summary: NetSummary): SummaryLine[] {
  const lines: SummaryLine[] = [];
  if (summary.joined.length > 0) lines.push(peopleLine('joined', summary.joined));
  if (summary.joinedAndLeft.length > 0) lines.push(peopleLine('joinedAndLeft', summary.joinedAndLeft));
  if (summary.left.length > 0) lines.push(peopleLine('left', summary.left));
  if (summary.rename) lines.push(renameLine(summary.rename.from, summary.rename.to));
  return lines;
}

/** "Ann changed Herald's settings: joins off" (changes made from the tab). */
export function settingsLine(by: string | null, changes: readonly string[]): SummaryLine {
  const runs: TextRun[] = [
    { text: by?.trim() ? by : NEUTRAL_NAME, bold: Boolean(by?.trim()) },
    { text: ` changed Herald's settings: ${changes.join('; ')}` },
  ];
  return { kind: 'settings', runs, text: runs.map((r) => r.text).join(''), others: null };
}

export function linesText(lines: readonly SummaryLine[]): string {
  return lines.map((l) => l.text).join(LINE_SEPARATOR);
}

/** The plain-text form of a summary ("Alice, Bob and 3 others joined · Carol left"). */
export function formatSummary(summary: NetSummary): string {
  return linesText(summaryLines(summary));
}
