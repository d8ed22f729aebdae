/**
 * Putting text people chose (display names, chat topics) into what Teams renders, so that it shows
 * literally: `**Mallory**`, `<b>Eve</b>` or `[x](https://evil)` as typed, never bold or a live link.
 *
 * - Message `text`: Teams renders a subset of Markdown and of HTML in it
 *   (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages), and
 *   formats HTML tags and Markdown even when `textFormat` is `plain`.
 * - Adaptive Card `TextBlock.text` and `fallbackText` may contain Markdown
 *   (https://adaptivecards.io/explorer/TextBlock.html); `TextRun.text` is never interpreted, which is why
 *   announcement cards carry names in TextRuns.
 * - `speak` is SSML, i.e. XML.
 */

// Characters that open Markdown or HTML syntax anywhere in a line (emphasis, code, strike, links and
// images, HTML tags and entities, headings, tables, backslash escapes)…
const INLINE_MARKUP = /[\\`*_~[\]<>&#|]/g;
// …and those that do only at the start of a line: list items ("-", "+", "1." / "1)"), setext underlines.
const LINE_START_MARKUP = /^(\s*)(?:([-+=])|(\d+)([.)]))/gm;

const reference = (c: string) => `&#${c.charCodeAt(0)};`;

/**
 * Text for a Markdown (or HTML) surface that shows as typed. Markup characters become numeric character
 * references, which Markdown (CommonMark: a reference is never syntax) and HTML both decode to the
 * character itself; other punctuation is left alone, so the raw text stays readable.
 */
export function markdownLiteral(text: string): string {
  return text
    .replace(INLINE_MARKUP, reference)
    .replace(LINE_START_MARKUP, (_m, space: string, sign?: string, digits?: string, mark?: string) =>
      sign ? `${space}${reference(sign)}` : `${space}${digits ?? ''}${reference(mark ?? '.')}`);
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text for an SSML (`speak`) or other XML surface. */
export function xmlLiteral(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}
