/** A tiny DOM builder. Text always goes in through textContent, so names and topics cannot inject markup. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  children: Array<Node | string | null | undefined | false> = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page is missing #${id}`);
  return node as T;
}

const AVATAR_COLOURS = ['#8764b8', '#0f6cbd', '#c239b3', '#038387', '#ca5010', '#4f6bed', '#986f0b', '#c50f1f', '#107c10', '#5c2e91'];

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** A person's avatar: initials on a colour derived from the name, as Teams does without a photo. */
export function avatar(name: string): HTMLSpanElement {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const node = el('span', { className: 'avatar', text: initials(name), attrs: { 'aria-hidden': 'true' } });
  node.style.setProperty('--avatar', AVATAR_COLOURS[hash % AVATAR_COLOURS.length] ?? '#8764b8');
  return node;
}

export function heraldAvatar(): HTMLSpanElement {
  return el('span', { className: 'avatar avatar-herald', text: 'H', attrs: { 'aria-hidden': 'true' } });
}

export function timeOf(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
