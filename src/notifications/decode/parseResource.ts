/**
 * The `resource` of a change notification, parsed into what it points at. Graph writes OData key
 * syntax (`chats('19:…@thread.v2')/members('MCMj…')`, quotes doubled inside keys); path syntax
 * (`/chats/19:…/members/MCMj…`) and any segment casing are accepted too.
 */
export type ResourceTarget =
  | { kind: 'chat'; chatId: string }
  | { kind: 'chatMember'; chatId: string; membershipId: string }
  | { kind: 'chatMessage'; chatId: string; messageId: string }
  | { kind: 'channelMessage'; teamId: string; channelId: string; messageId: string };

interface Segment {
  name: string;
  key: string | null;
}

export function parseResource(resource: string): ResourceTarget | null {
  const segments = tokenize(resource.trim());
  if (!segments) return null;
  const shape = segments.map((s) => `${s.name}${s.key === null ? '' : '()'}`).join('/');
  const key = (i: number): string => segments[i]?.key ?? '';
  switch (shape) {
    case 'chats()':
      return { kind: 'chat', chatId: key(0) };
    case 'chats()/members()':
      return { kind: 'chatMember', chatId: key(0), membershipId: key(1) };
    case 'chats()/messages()':
      return { kind: 'chatMessage', chatId: key(0), messageId: key(1) };
    case 'teams()/channels()/messages()':
      return { kind: 'channelMessage', teamId: key(0), channelId: key(1), messageId: key(2) };
    default:
      return null;
  }
}

/** The Graph path (relative to the version root) that reads the target, in OData key syntax. */
export function resourcePath(target: ResourceTarget): string {
  const k = (value: string) => `'${value.replace(/'/g, "''")}'`;
  switch (target.kind) {
    case 'chat':
      return `chats(${k(target.chatId)})`;
    case 'chatMember':
      return `chats(${k(target.chatId)})/members(${k(target.membershipId)})`;
    case 'chatMessage':
      return `chats(${k(target.chatId)})/messages(${k(target.messageId)})`;
    case 'channelMessage':
      return `teams(${k(target.teamId)})/channels(${k(target.channelId)})/messages(${k(target.messageId)})`;
  }
}

const NAME = /^[A-Za-z][A-Za-z0-9.]*/;
const VERSION_PREFIX = /^(v1\.0|beta)$/i;

function tokenize(input: string): Segment[] | null {
  let rest = input.replace(/^\/+/, '');
  const segments: Segment[] = [];
  while (rest.length > 0) {
    const name = NAME.exec(rest)?.[0];
    if (!name) return null;
    rest = rest.slice(name.length);
    let key: string | null = null;
    if (rest.startsWith('(')) {
      const parsed = readQuotedKey(rest);
      if (!parsed) return null;
      key = parsed.key;
      rest = parsed.rest;
    } else if (rest.startsWith('/') && segments.length === 0 && VERSION_PREFIX.test(name)) {
      rest = rest.slice(1);
      continue; // `v1.0/chats/…`
    } else if (rest.startsWith('/')) {
      // Path syntax: the next segment is this one's key (or another name for a collection).
      const next = rest.slice(1).split('/')[0] ?? '';
      if (next && !isCollectionName(next)) {
        key = safeDecode(next);
        rest = rest.slice(1 + next.length);
      }
    }
    segments.push({ name: name.toLowerCase(), key });
    if (rest.startsWith('/')) rest = rest.slice(1);
    else if (rest.length > 0) return null;
  }
  return segments.length > 0 ? segments : null;
}

function readQuotedKey(text: string): { key: string; rest: string } | null {
  // text starts with "("; accept ('value') with '' as an escaped quote.
  if (text[1] !== "'") return null;
  let i = 2;
  let key = '';
  while (i < text.length) {
    const ch = text[i];
    if (ch === "'") {
      if (text[i + 1] === "'") {
        key += "'";
        i += 2;
        continue;
      }
      if (text[i + 1] !== ')') return null;
      return { key, rest: text.slice(i + 2) };
    }
    key += ch;
    i++;
  }
  return null;
}

const COLLECTIONS = new Set(['chats', 'members', 'messages', 'teams', 'channels', 'replies']);

function isCollectionName(segment: string): boolean {
  return COLLECTIONS.has(segment.toLowerCase());
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
