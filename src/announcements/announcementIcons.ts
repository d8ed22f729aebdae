import type { SummaryLineKind } from './formatSummary.js';

/**
 * The glyph leading each line of an announcement card (Teams shows emoji everywhere). Apart from the
 * card builder so the playground page can recognise them and draw its own icons where no emoji font is.
 */
export const ANNOUNCEMENT_ICONS: Record<SummaryLineKind, string> = {
  joined: '➕',
  joinedAndLeft: '🔁',
  left: '➖',
  renamed: '✏️',
  settings: '⚙️',
};
