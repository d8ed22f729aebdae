/**
 * Herald's Adaptive Cards, rendered by the `adaptivecards` package (bundled, no CDN) with a host config
 * close to Teams' own, in the light or dark colours of the page.
 */
import { AdaptiveCard, ExecuteAction, HostConfig, type Action } from 'adaptivecards';
import { drawCardIcons } from './cardIcons.js';

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

function hostConfig(dark: boolean, interactive: boolean): HostConfig {
  return new HostConfig({
    fontFamily: '"Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif',
    supportsInteractivity: interactive,
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

/** What pressing an `Action.Execute` button sends: its verb and its data with the card's inputs merged in. */
export type ExecuteHandler = (verb: string, data: Record<string, unknown>) => void;

/**
 * The rendered card, or null when the renderer refuses it (the post's text is shown instead). With
 * `onExecute` the card is interactive, as in Teams: its inputs can be changed and its buttons pressed.
 */
export function renderCard(content: unknown, dark: boolean, onExecute?: ExecuteHandler): HTMLElement | null {
  try {
    const card = new AdaptiveCard();
    card.hostConfig = hostConfig(dark, onExecute !== undefined);
    if (onExecute) {
      card.onExecuteAction = (action: Action) => {
        if (!(action instanceof ExecuteAction)) return;
        const data: unknown = action.data;
        onExecute(action.verb, typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {});
      };
    }
    card.parse(withMentionsShown(content));
    const rendered = card.render() ?? null;
    if (rendered) drawCardIcons(rendered);
    return rendered;
  } catch {
    return null;
  }
}

/** Teams shows `<at>Name</at>` (with a mention entity) as the person's name; here it reads "@Name". */
function withMentionsShown(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withMentionsShown);
  if (typeof node !== 'object' || node === null) return node;
  const item = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    out[key] = item.type === 'TextBlock' && key === 'text' && typeof value === 'string' ? value.replace(/<at>(.*?)<\/at>/g, '@$1') : withMentionsShown(value);
  }
  return out;
}
