/**
 * Validation of POST/PATCH /subscriptions bodies as documented (reference §1–§3, §10). Pure: every
 * failure is a GraphHttpError with the status Graph uses; no store or network access here.
 */
import { parseEncryptionCertificate, type EncryptionCertificate } from './encryption.js';
import { graphErrors } from './graphErrors.js';
import { parseChangeTypes, parseSubscriptionResource, RESOURCE_RULES, type ChangeTypeName, type SubscriptionTarget } from './resources.js';

/**
 * Teams chat / conversationMember / teamsAppInstallation maximum: 4,320 minutes (3 days). The Teams overview
 * still says 60 minutes in places; the subscription table is newer and authoritative (reference §2), and
 * requests beyond the maximum fail rather than being clamped.
 */
export const MAX_LIFETIME_MINUTES = 4320;
/** Shorter requests are raised to this. */
export const MIN_LIFETIME_MINUTES = 45;
/** Beyond this, Teams resources require lifecycleNotificationUrl. */
export const LIFECYCLE_REQUIRED_AFTER_MINUTES = 60;
export const LIFECYCLE_REQUIRED_MESSAGE =
  'lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour';

const WEB_PUSH_FIELDS = ['vapidPublicKey', 'webPushEncryptionP256dhPublicKey', 'webPushEncryptionSecret'];
const TLS_VERSIONS = ['v1_0', 'v1_1', 'v1_2', 'v1_3'];
const PATCHABLE = new Set(['expirationDateTime', 'notificationUrl', '@odata.type']);

export interface CreateSubscriptionRequest {
  resource: string;
  target: SubscriptionTarget;
  changeType: string;
  changeTypes: ChangeTypeName[];
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  clientState: string | null;
  includeResourceData: boolean;
  encryptionCertificate: string | null;
  encryptionCertificateId: string | null;
  certificate: EncryptionCertificate | null;
  latestSupportedTlsVersion: string;
  notificationUrlAppId: string | null;
}

export interface PatchSubscriptionRequest {
  expirationDateTime?: string;
  notificationUrl?: string;
}

type Body = Record<string, unknown>;

function asObject(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw graphErrors.badRequest('The request body must be a JSON object.');
  }
  return body as Body;
}

function optionalString(body: Body, name: string): string | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw graphErrors.badRequest(`The property '${name}' must be a string.`);
  return value;
}

function requiredString(body: Body, name: string): string {
  const value = optionalString(body, name);
  if (value === null || value.trim() === '') throw graphErrors.badRequest(`The property '${name}' is required and cannot be null or empty.`);
  return value;
}

/**
 * Notification URLs must be https. Double relaxation: http is accepted for loopback hosts so the
 * playground and tests can run Herald's endpoint as plain http on 127.0.0.1.
 */
export function checkNotificationUrl(name: 'notificationUrl' | 'lifecycleNotificationUrl', value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw graphErrors.badRequest(`Invalid ${name} '${value}'. It must be an absolute https URL.`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    if (/^(eventhub|eventgrid):/i.test(value)) throw graphErrors.badRequest(`${name}: Event Hubs and Event Grid delivery are not supported by this double.`);
    throw graphErrors.badRequest(`Invalid ${name} '${value}'. The URL must use the https scheme.`);
  }
  return value;
}

/** Applies the max (400 beyond) and min (raised to 45 min) rules; returns the effective ISO time. */
export function effectiveExpiration(value: string, now: Date): string {
  const requested = Date.parse(value);
  if (Number.isNaN(requested)) throw graphErrors.badRequest(`Invalid expirationDateTime '${value}'.`);
  const minutes = (requested - now.getTime()) / 60_000;
  if (minutes > MAX_LIFETIME_MINUTES) {
    throw graphErrors.badRequest(
      `The expirationDateTime '${value}' is too far in the future. Subscription expiration can only be ${MAX_LIFETIME_MINUTES} minutes in the future.`,
    );
  }
  if (minutes < MIN_LIFETIME_MINUTES) return new Date(now.getTime() + MIN_LIFETIME_MINUTES * 60_000).toISOString();
  return new Date(requested).toISOString();
}

export function needsLifecycleUrl(expirationDateTime: string, now: Date): boolean {
  return Date.parse(expirationDateTime) - now.getTime() > LIFECYCLE_REQUIRED_AFTER_MINUTES * 60_000;
}

export function parseCreateSubscription(raw: unknown, now: Date): CreateSubscriptionRequest {
  const body = asObject(raw);
  const resource = requiredString(body, 'resource');
  const changeTypeText = requiredString(body, 'changeType');
  const notificationUrl = checkNotificationUrl('notificationUrl', requiredString(body, 'notificationUrl'));
  const expirationText = requiredString(body, 'expirationDateTime');

  for (const field of WEB_PUSH_FIELDS) {
    if (body[field] !== undefined && body[field] !== null) {
      throw graphErrors.badRequest(`The property '${field}' is only supported for web push subscriptions.`);
    }
  }

  const parsed = parseSubscriptionResource(resource);
  if (!parsed.ok) throw graphErrors.badRequest(parsed.reason);
  const rule = RESOURCE_RULES[parsed.target.kind];

  const changeTypes: ChangeTypeName[] = [];
  for (const part of parseChangeTypes(changeTypeText)) {
    const lower = part.toLowerCase();
    if (!(rule.changeTypes as readonly string[]).includes(lower)) {
      throw graphErrors.badRequest(`ChangeType '${part}' is not supported for resource '${resource}'. Supported change types: ${rule.changeTypes.join(', ')}.`);
    }
    if (!changeTypes.includes(lower as ChangeTypeName)) changeTypes.push(lower as ChangeTypeName);
  }
  if (changeTypes.length === 0) throw graphErrors.badRequest(`The property 'changeType' is required and cannot be null or empty.`);

  const expirationDateTime = effectiveExpiration(expirationText, now);
  const lifecycleText = optionalString(body, 'lifecycleNotificationUrl');
  const lifecycleNotificationUrl = lifecycleText === null ? null : checkNotificationUrl('lifecycleNotificationUrl', lifecycleText);
  if (!lifecycleNotificationUrl && needsLifecycleUrl(expirationDateTime, now)) throw graphErrors.badRequest(LIFECYCLE_REQUIRED_MESSAGE);

  const clientState = optionalString(body, 'clientState');
  // ≤128 per the v1.0 subscription page; older pages said 255 — the reference says follow 128.
  if (clientState !== null && clientState.length > 128) {
    throw graphErrors.badRequest(`The clientState is too long: ${clientState.length} characters. The maximum length is 128 characters.`);
  }

  const includeResourceData = body.includeResourceData === true;
  if (body.includeResourceData !== undefined && body.includeResourceData !== null && typeof body.includeResourceData !== 'boolean') {
    throw graphErrors.badRequest(`The property 'includeResourceData' must be a boolean.`);
  }
  const encryptionCertificate = optionalString(body, 'encryptionCertificate');
  const encryptionCertificateId = optionalString(body, 'encryptionCertificateId');
  let certificate: EncryptionCertificate | null = null;
  if (includeResourceData) {
    if (!encryptionCertificate) {
      throw graphErrors.badRequest('encryptionCertificate is a required property when includeResourceData is true.');
    }
    if (!encryptionCertificateId) {
      throw graphErrors.badRequest('encryptionCertificateId is a required property when includeResourceData is true.');
    }
    const cert = parseEncryptionCertificate(encryptionCertificate);
    if (!cert.ok) throw graphErrors.badRequest(cert.reason);
    certificate = cert.certificate;
  }
  if (encryptionCertificateId !== null && encryptionCertificateId.length > 128) {
    throw graphErrors.badRequest('The encryptionCertificateId is too long. The maximum length is 128 characters.');
  }

  const tls = optionalString(body, 'latestSupportedTlsVersion') ?? 'v1_2';
  if (!TLS_VERSIONS.includes(tls)) throw graphErrors.badRequest(`Invalid latestSupportedTlsVersion '${tls}'.`);

  return {
    resource,
    target: parsed.target,
    changeType: changeTypes.join(','),
    changeTypes,
    notificationUrl,
    lifecycleNotificationUrl,
    expirationDateTime,
    clientState,
    includeResourceData,
    encryptionCertificate: includeResourceData ? encryptionCertificate : null,
    encryptionCertificateId,
    certificate,
    latestSupportedTlsVersion: tls,
    notificationUrlAppId: optionalString(body, 'notificationUrlAppId'),
  };
}

/** PATCH accepts only expirationDateTime and notificationUrl (reference §3; certificate PATCH is refused). */
export function parsePatchSubscription(raw: unknown): PatchSubscriptionRequest {
  const body = asObject(raw);
  const extra = Object.keys(body).filter((key) => !PATCHABLE.has(key));
  if (extra.length > 0) {
    throw graphErrors.badRequest(`Only expirationDateTime and notificationUrl can be updated. Unsupported properties: ${extra.join(', ')}.`);
  }
  const patch: PatchSubscriptionRequest = {};
  const expiration = optionalString(body, 'expirationDateTime');
  if (expiration !== null) patch.expirationDateTime = expiration;
  const notificationUrl = optionalString(body, 'notificationUrl');
  if (notificationUrl !== null) patch.notificationUrl = checkNotificationUrl('notificationUrl', notificationUrl);
  if (patch.expirationDateTime === undefined && patch.notificationUrl === undefined) {
    throw graphErrors.badRequest('The request must update expirationDateTime or notificationUrl.');
  }
  return patch;
}

