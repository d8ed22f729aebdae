import type { LifecycleEventName } from '../../model/changeEvents.js';
import { canonicalEnum, LooseObject } from './caseInsensitive.js';

export const CHANGE_TYPES = ['created', 'updated', 'deleted'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];
export const LIFECYCLE_EVENTS: readonly LifecycleEventName[] = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'];

/** `changeNotificationEncryptedContent`, every field optional until checked. */
export interface EncryptedContent {
  data: string | null;
  dataKey: string | null;
  dataSignature: string | null;
  encryptionCertificateId: string | null;
  encryptionCertificateThumbprint: string | null;
}

/** One `value[]` item of a notification POST, read tolerantly. Unknown fields are ignored. */
export interface NotificationItem {
  index: number;
  subscriptionId: string | null;
  clientState: string | null;
  tenantId: string | null;
  /** Canonical change type; `rawChangeType` keeps what was sent when it is not one Herald knows. */
  changeType: ChangeType | null;
  rawChangeType: string | null;
  lifecycleEvent: LifecycleEventName | null;
  rawLifecycleEvent: string | null;
  subscriptionExpirationDateTime: string | null;
  resource: string | null;
  resourceData: { id: string | null; odataType: string | null; odataId: string | null } | null;
  encryptedContent: EncryptedContent | null;
}

export type NotificationEnvelope =
  | { ok: true; items: unknown[]; validationTokens: unknown[] | null }
  | { ok: false; problem: string };

/** The `changeNotificationCollection` shape: an object with a `value` array (any casing). */
export function readEnvelope(body: unknown): NotificationEnvelope {
  const envelope = LooseObject.from(body);
  if (!envelope) return { ok: false, problem: 'body is not a JSON object' };
  const value = envelope.get('value');
  if (!Array.isArray(value)) return { ok: false, problem: 'body has no "value" array' };
  const tokens = envelope.get('validationTokens');
  return { ok: true, items: value, validationTokens: Array.isArray(tokens) ? tokens : null };
}

/** Null when the item is not even an object. */
export function normalizeNotification(raw: unknown, index: number): NotificationItem | null {
  const item = LooseObject.from(raw);
  if (!item) return null;
  const rawChangeType = item.string('changeType');
  const rawLifecycleEvent = item.string('lifecycleEvent');
  const resourceData = item.object('resourceData');
  const encrypted = item.object('encryptedContent');
  return {
    index,
    subscriptionId: item.string('subscriptionId'),
    clientState: item.string('clientState'),
    tenantId: item.string('tenantId'),
    changeType: canonicalEnum(rawChangeType, CHANGE_TYPES),
    rawChangeType,
    lifecycleEvent: canonicalEnum(rawLifecycleEvent, LIFECYCLE_EVENTS),
    rawLifecycleEvent,
    subscriptionExpirationDateTime: item.string('subscriptionExpirationDateTime'),
    resource: item.string('resource'),
    resourceData: resourceData
      ? { id: resourceData.string('id'), odataType: resourceData.string('@odata.type'), odataId: resourceData.string('@odata.id') }
      : null,
    encryptedContent: encrypted
      ? {
          data: encrypted.string('data'),
          dataKey: encrypted.string('dataKey'),
          dataSignature: encrypted.string('dataSignature'),
          encryptionCertificateId: encrypted.string('encryptionCertificateId'),
          encryptionCertificateThumbprint: encrypted.string('encryptionCertificateThumbprint'),
        }
      : null,
  };
}
