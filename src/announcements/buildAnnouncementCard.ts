import type { Activity, Attachment } from 'botbuilder';
import * as ACData from 'adaptivecards-templating';
import { markdownLiteral, xmlLiteral } from '../bot/teamsText.js';
import { ANNOUNCEMENT_ICONS } from './announcementIcons.js';
import { LINE_SEPARATOR, linesText, type SummaryLine } from './formatSummary.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** An Adaptive Card as JSON (what the Bot Connector carries in an attachment). */
export interface AdaptiveCardJson {
  type: 'AdaptiveCard';
  version: string;
  $schema?: string;
  fallbackText?: string;
  speak?: string;
  msteams?: { width?: 'Full'; entities?: MentionEntity[] };
  body: Array<Record<string, unknown>>;
}

/** A Teams mention in a card: the card's text holds `text`, which Teams turns into the person's name. */
export interface MentionEntity {
  type: 'mention';
  text: string;
  mentioned: { id: string; name: string };
}

/** What a join announcement adds when the chat asks for it: its welcome line, and the newcomers to @mention. */
export interface JoinWelcome {
  line: string | null;
  /** Entra object ids and names of the people who joined (Teams accepts an object id for card mentions). */
  mention: ReadonlyArray<{ id: string; name: string }>;
}


/**
 * One compact row per line: an icon column and a RichTextBlock whose TextRuns carry names verbatim
 * (TextRuns do not interpret markdown, so names cannot inject formatting; the only TextBlock holds the
 * icon). Only the host's default and subtle text colours are used, so the card reads the same in light,
 * dark and high-contrast themes. Full width: a line naming several people wraps less.
 */
const TEMPLATE = {
  type: 'AdaptiveCard',
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  version: '1.5',
  fallbackText: '${fallbackText}',
  speak: '${speak}',
  msteams: { width: 'Full' },
  body: [
    {
      type: 'ColumnSet',
      $data: '${lines}',
      spacing: 'Small',
      columns: [
        { type: 'Column', width: 'auto', items: [{ type: 'TextBlock', text: '${icon}', wrap: false }] },
        {
          type: 'Column',
          width: 'stretch',
          items: [
            {
              type: 'RichTextBlock',
              inlines: [
                { type: 'TextRun', $data: '${runs}', text: '${text}', weight: "${if(bold, 'Bolder', 'Default')}", isSubtle: '${subtle}' },
              ],
            },
            {
              type: 'RichTextBlock',
              $when: '${others != null}',
              spacing: 'None',
              inlines: [{ type: 'TextRun', text: '${others}', isSubtle: true, size: 'Small' }],
            },
          ],
        },
      ],
    },
  ],
};

// Preparing a template parses every expression (ANTLR, ~14 ms); expanding a prepared one takes ~0.25 ms.
// Like a compiled regular expression, the prepared template is a constant and is kept.
let prepared: ACData.Template | null = null;
function preparedTemplate(): ACData.Template {
  prepared ??= new ACData.Template(TEMPLATE);
  return prepared;
}

interface TemplateData {
  /** `fallbackText` may contain Markdown; `speak` is SSML: each gets the plain text escaped for it. */
  fallbackText: string;
  speak: string;
  lines: Array<{ icon: string; runs: Array<{ text: string; bold: boolean; subtle: boolean }>; others: string | null }>;
}

/** The announcement as an Adaptive Card 1.5 (expanded from a template with adaptivecards-templating). */
export function buildAnnouncementCard(lines: readonly SummaryLine[], welcome?: JoinWelcome): AdaptiveCardJson {
  const plain = [linesText(lines), welcome?.line].filter(Boolean).join(LINE_SEPARATOR);
  const data: TemplateData = {
    fallbackText: markdownLiteral(plain),
    speak: xmlLiteral(plain),
    lines: lines.map((line) => ({
      icon: ANNOUNCEMENT_ICONS[line.kind],
      runs: line.runs.map((r) => ({ text: r.text, bold: r.bold ?? false, subtle: r.subtle ?? false })),
      others: line.others,
    })),
  };
  const card = preparedTemplate().expand({ $root: data }) as AdaptiveCardJson;
  return welcome ? withWelcome(card, welcome) : card;
}

/**
 * Mentions go in a TextBlock (the only element Teams resolves `<at>` in), one per person, with the name
 * stripped of angle brackets so it cannot close the tag; the welcome line goes in a TextRun, shown as typed.
 * https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format#mention-support-within-adaptive-cards
 */
function withWelcome(card: AdaptiveCardJson, welcome: JoinWelcome): AdaptiveCardJson {
  const body = [...card.body];
  const entities: MentionEntity[] = welcome.mention.map((person) => {
    const text = `<at>${person.name.replace(/[<>]/g, '')}</at>`;
    return { type: 'mention', text, mentioned: { id: person.id, name: person.name } };
  });
  if (entities.length > 0) body.push({ type: 'TextBlock', text: entities.map((e) => e.text).join(' '), wrap: true, spacing: 'Small' });
  if (welcome.line) body.push({ type: 'RichTextBlock', spacing: 'Small', inlines: [{ type: 'TextRun', text: welcome.line }] });
  return { ...card, body, msteams: { ...card.msteams, ...(entities.length > 0 ? { entities } : {}) } };
}

/**
 * The message Herald posts: the card, and its plain text in `summary` (notification toasts and the chat
 * list preview, shown as plain text). No `text`: Teams shows a message's text above its card, so the
 * announcement would appear twice; clients that cannot render the card show its `fallbackText`.
 */
export function buildAnnouncementActivity(lines: readonly SummaryLine[], welcome?: JoinWelcome): Partial<Activity> {
  const attachment: Attachment = { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: buildAnnouncementCard(lines, welcome) };
  return { type: 'message', summary: linesText(lines), attachments: [attachment] };
}
