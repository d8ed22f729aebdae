import type { Activity, Attachment } from 'botbuilder';
import * as ACData from 'adaptivecards-templating';
import { markdownLiteral, xmlLiteral } from '../bot/teamsText.js';
import { linesText, type SummaryLine, type SummaryLineKind } from './formatSummary.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** An Adaptive Card as JSON (what the Bot Connector carries in an attachment). */
export interface AdaptiveCardJson {
  type: 'AdaptiveCard';
  version: string;
  $schema?: string;
  fallbackText?: string;
  speak?: string;
  msteams?: { width?: 'Full' };
  body: Array<Record<string, unknown>>;
}

const ICONS: Record<SummaryLineKind, string> = {
  joined: '➕',
  joinedAndLeft: '🔁',
  left: '➖',
  renamed: '✏️',
  settings: '⚙️',
};

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
export function buildAnnouncementCard(lines: readonly SummaryLine[]): AdaptiveCardJson {
  const plain = linesText(lines);
  const data: TemplateData = {
    fallbackText: markdownLiteral(plain),
    speak: xmlLiteral(plain),
    lines: lines.map((line) => ({
      icon: ICONS[line.kind],
      runs: line.runs.map((r) => ({ text: r.text, bold: r.bold ?? false, subtle: r.subtle ?? false })),
      others: line.others,
    })),
  };
  return preparedTemplate().expand({ $root: data }) as AdaptiveCardJson;
}

/**
 * The message Herald posts: the card, and its plain text in `summary` (notification toasts and the chat
 * list preview, shown as plain text). No `text`: Teams shows a message's text above its card, so the
 * announcement would appear twice; clients that cannot render the card show its `fallbackText`.
 */
export function buildAnnouncementActivity(lines: readonly SummaryLine[]): Partial<Activity> {
  const attachment: Attachment = { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: buildAnnouncementCard(lines) };
  return { type: 'message', summary: linesText(lines), attachments: [attachment] };
}
