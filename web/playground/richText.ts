/**
 * Herald's plain-text posts use a little Markdown (as Teams renders it): **bold**, `code`, and "- " list
 * lines. Built as DOM nodes, never as HTML, so nothing in a post can inject markup.
 */
import { el } from './dom.js';

function inline(text: string): Array<Node> {
  const nodes: Node[] = [];
  const pattern = /(\*\*[^*]+\*\*|`[^`]+`)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const index = match.index ?? 0;
    if (index > last) nodes.push(document.createTextNode(text.slice(last, index)));
    const token = match[0];
    nodes.push(token.startsWith('**') ? el('strong', { text: token.slice(2, -2) }) : el('code', { text: token.slice(1, -1) }));
    last = index + token.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

export function renderRichText(text: string): HTMLElement {
  const root = el('div', { className: 'text' });
  root.style.whiteSpace = 'normal';
  let list: HTMLUListElement | null = null;
  for (const line of text.split(/\r?\n/)) {
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    if (item) {
      list ??= root.appendChild(el('ul'));
      list.append(el('li', {}, inline(item[1] ?? '')));
      continue;
    }
    list = null;
    if (line.trim()) root.append(el('p', {}, inline(line)));
  }
  return root;
}

/** A person's message: "@Herald" shown as a mention, the rest as typed. */
export function renderMessageText(text: string): HTMLElement {
  const root = el('div', { className: 'text' });
  const match = /^@Herald\b/.exec(text);
  if (match) {
    root.append(el('span', { className: 'mention', text: 'Herald' }), document.createTextNode(text.slice(match[0].length)));
  } else {
    root.textContent = text;
  }
  return root;
}
