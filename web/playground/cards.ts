/**
 * Herald's Adaptive Cards, rendered by the `adaptivecards` package (bundled, no CDN) with a host config
 * close to Teams' own, in the light or dark colours of the page.
 */
import { AdaptiveCard, HostConfig } from 'adaptivecards';

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

function colours(dark: boolean) {
  const text = dark ? '#ffffff' : '#242424';
  const subtle = dark ? '#adadad' : '#616161';
  const colour = (normal: string, soft: string) => ({ default: normal, subtle: soft });
  const foreground = {
    default: colour(text, subtle),
    dark: colour('#242424', '#616161'),
    light: colour('#ffffff', '#d1d1d1'),
    accent: colour(dark ? '#7f85f5' : '#5b5fc7', dark ? '#aaaaf5' : '#7579eb'),
    good: colour(dark ? '#92c353' : '#0e7a0b', dark ? '#b3d98a' : '#2f8a2c'),
    warning: colour(dark ? '#f8d22a' : '#8a5d00', dark ? '#f9e07a' : '#a07012'),
    attention: colour(dark ? '#f1707b' : '#c4314b', dark ? '#f4a0a8' : '#d1495b'),
  };
  return {
    default: { backgroundColor: dark ? '#292929' : '#ffffff', foregroundColors: foreground },
    emphasis: { backgroundColor: dark ? '#333333' : '#f5f5f5', foregroundColors: foreground },
  };
}

function hostConfig(dark: boolean): HostConfig {
  return new HostConfig({
    fontFamily: '"Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif',
    supportsInteractivity: false,
    spacing: { small: 4, default: 8, medium: 12, large: 16, extraLarge: 24, padding: 0 },
    separator: { lineThickness: 1, lineColor: dark ? '#3d3d3d' : '#e0e0e0' },
    fontSizes: { small: 12, default: 14, medium: 16, large: 18, extraLarge: 22 },
    fontWeights: { lighter: 300, default: 400, bolder: 600 },
    containerStyles: colours(dark),
  });
}

export interface RenderableAttachment {
  contentType: string;
  content?: unknown;
}

export function isAdaptiveCard(attachment: RenderableAttachment): boolean {
  return attachment.contentType === ADAPTIVE_CARD && typeof attachment.content === 'object' && attachment.content !== null;
}

/** The rendered card, or null when the renderer refuses it (the post's text is shown instead). */
export function renderCard(content: unknown, dark: boolean): HTMLElement | null {
  try {
    const card = new AdaptiveCard();
    card.hostConfig = hostConfig(dark);
    card.parse(content);
    return card.render() ?? null;
  } catch {
    return null;
  }
}
