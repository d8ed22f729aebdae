/**
 * The page's own drawings of the glyphs that lead Herald's announcement lines: Teams has an emoji font,
 * a browser on a bare Linux may not, and would show empty boxes. Stroked in the text colour, so they
 * follow the light, dark and high-contrast themes.
 */
import { ANNOUNCEMENT_ICONS } from '../../src/announcements/announcementIcons.js';
import type { SummaryLineKind } from '../../src/announcements/formatSummary.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

const DRAWINGS: Record<SummaryLineKind, string[]> = {
  joined: ['M10 4v12', 'M4 10h12'],
  left: ['M4 10h12'],
  joinedAndLeft: ['M4 8h10l-2.5-2.5', 'M16 12H6l2.5 2.5'],
  renamed: ['M4 16l1-3.5 8.5-8.5a1.4 1.4 0 0 1 2 0l.5.5a1.4 1.4 0 0 1 0 2L7.5 15 4 16Z'],
  settings: ['M10 7.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5Z', 'M10 2.5v2.5M10 15v2.5M2.5 10H5M15 10h2.5M4.7 4.7l1.8 1.8M13.5 13.5l1.8 1.8M4.7 15.3l1.8-1.8M13.5 6.5l1.8-1.8'],
};

/** The kind whose glyph this is ("✏️" and "✏" alike), or null. */
function kindOfGlyph(text: string): SummaryLineKind | null {
  const plain = (s: string) => s.replace(/\uFE0F/g, '').trim();
  const glyph = plain(text);
  const found = (Object.keys(ANNOUNCEMENT_ICONS) as SummaryLineKind[]).find((kind) => plain(ANNOUNCEMENT_ICONS[kind]) === glyph);
  return found ?? null;
}

function drawing(kind: SummaryLineKind): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 20 20');
  svg.setAttribute('class', 'card-icon');
  svg.setAttribute('data-icon', kind);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of DRAWINGS[kind]) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** Replaces each announcement glyph in a rendered card with the page's drawing of it. */
export function drawCardIcons(card: HTMLElement): void {
  for (const block of Array.from(card.querySelectorAll<HTMLElement>('.ac-textBlock'))) {
    const kind = kindOfGlyph(block.textContent ?? '');
    if (kind) block.replaceChildren(drawing(kind));
  }
}
