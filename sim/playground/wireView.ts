/**
 * One list of "what happened on the wire" for the page's Wire tab: the Graph and login doubles' wire
 * log, the activities Teams sent to Herald and the calls Herald made to the Bot Connector. Each item
 * has a one-line title for the list and the protocol detail (never a token or clientState) to expand.
 */
import type { Delivery, RecordedRequest } from '../doubles/teams/index.js';
import type { WireEntry } from '../doubles/world/WireLog.js';

export type WireSource = 'login' | 'graph' | 'teams';

export interface WireItem {
  id: string;
  at: string;
  source: WireSource;
  /** e.g. `graphRequest`, `notification`, `activity`, `botPost`. */
  kind: string;
  title: string;
  status: number | null;
  ok: boolean;
  detail: unknown;
}

const okStatus = (status: number | null) => status !== null && status >= 200 && status < 300;

/** Paths and resources as a person reads them: decoded, with long opaque ids shortened (the detail has them whole). */
export function readable(text: string): string {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    /* keep it as it is */
  }
  // Membership ids are long base64 strings in quotes: members('MCMjNzFh…').
  return decoded.replace(/'([A-Za-z0-9+/=]{28,})'/g, (_m, id: string) => `'${id.slice(0, 10)}…'`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A Graph/login wire log entry as a list item; `note` says what the playground knows about it ("retry after 429"). */
export function wireItemOfEntry(entry: WireEntry, note?: string): Omit<WireItem, 'id'> {
  const item = describeEntry(entry);
  return note ? { ...item, title: `${item.title} — ${note}`, detail: { ...entry, note } } : item;
}

function describeEntry(entry: WireEntry): Omit<WireItem, 'id'> {
  const base = { at: entry.at, detail: entry };
  switch (entry.kind) {
    case 'token':
      return {
        ...base,
        source: 'login',
        kind: entry.kind,
        title: `Token for ${entry.resource ?? 'an unknown resource'} (tenant ${entry.tenantId.slice(0, 8)}…)${entry.error ? `: ${entry.error}` : ''}`,
        status: entry.status,
        ok: okStatus(entry.status),
      };
    case 'graphRequest':
      return {
        ...base,
        source: 'graph',
        kind: entry.kind,
        title: `${entry.method} ${readable(entry.path)}${entry.errorCode ? ` → ${entry.errorCode}` : ''}`,
        status: entry.status,
        ok: okStatus(entry.status),
      };
    case 'handshake':
      return {
        ...base,
        source: 'graph',
        kind: entry.kind,
        title: `Validation handshake with ${entry.purpose}${entry.ok ? '' : ` failed: ${entry.error ?? 'no answer'}`}`,
        status: entry.status,
        ok: entry.ok,
      };
    case 'notification': {
      const changes = entry.items.map((i) => i.changeType ?? '?').join(', ');
      return {
        ...base,
        source: 'graph',
        kind: entry.kind,
        title: `Change notification (${plural(entry.items.length, 'item')}: ${changes})${entry.duplicate ? ' — duplicate delivery' : ''}${entry.attempt > 1 ? `, attempt ${entry.attempt}` : ''}${entry.error ? `: ${entry.error}` : ''}`,
        status: entry.status,
        ok: okStatus(entry.status),
      };
    }
    case 'lifecycle':
      return {
        ...base,
        source: 'graph',
        kind: entry.kind,
        title: `Lifecycle notification: ${entry.items.map((i) => i.lifecycleEvent ?? '?').join(', ')}${entry.error ? `: ${entry.error}` : ''}`,
        status: entry.status,
        ok: okStatus(entry.status),
      };
    case 'suppressed':
      return {
        ...base,
        source: 'graph',
        kind: entry.kind,
        title: `Not delivered (${entry.reason}): ${entry.changeType ?? entry.lifecycleEvent ?? ''} ${readable(entry.resource ?? '')}`.trim(),
        status: null,
        ok: false,
      };
    case 'subscription':
      return {
        ...base,
        source: 'graph',
        kind: entry.kind,
        title: `Subscription ${entry.action}: ${readable(entry.resource)}`,
        status: null,
        ok: entry.action !== 'expired' && entry.action !== 'removed',
      };
  }
}

/** An activity the Teams double delivered to Herald's /api/messages. */
export function wireItemOfDelivery(delivery: Delivery, at: string): Omit<WireItem, 'id'> {
  const a = delivery.activity;
  const what = [a.type, a.action].filter(Boolean).join(' ');
  return {
    at,
    source: 'teams',
    kind: 'activity',
    title: `Activity to Herald: ${what}${a.type === 'message' && a.text ? ` “${a.text.replace(/<at>.*?<\/at>\s*/g, '@Herald ')}”` : ''}`,
    status: delivery.status,
    ok: okStatus(delivery.status),
    detail: { activity: a, status: delivery.status },
  };
}

/** A call Herald made to the Bot Connector double (posts, roster reads). */
export function wireItemOfConnectorRequest(request: RecordedRequest): Omit<WireItem, 'id'> {
  const posting = request.operation === 'sendToConversation' || request.operation === 'replyToActivity';
  return {
    at: request.at,
    source: 'teams',
    kind: posting ? 'botPost' : 'connector',
    title: `${posting ? 'Bot post' : 'Bot Connector'}: ${request.method} ${readable(request.path)}${request.errorCode ? ` → ${request.errorCode}` : ''}`,
    status: request.status,
    ok: okStatus(request.status),
    detail: { ...request, authorization: { present: request.authorization.present, scheme: request.authorization.scheme } },
  };
}
