/**
 * Herald's error codes. A code is stable (logs, /healthz, stored records and tests may rely on it); the
 * advice an admin needs for each code is written once, in errorCatalogue.ts.
 */

/** Every code, in one list, so tests and tools can walk the catalogue. */
export const HERALD_ERROR_CODES = [
  // configuration and start-up
  'herald.config.invalid',
  'herald.start.port_in_use',
  'herald.start.address_unavailable',
  'herald.start.port_not_permitted',
  'herald.start.data_dir_not_writable',
  'herald.certificate.invalid',
  // Microsoft Graph answers
  'herald.graph.consent_missing',
  'herald.graph.tenant_permissions_missing',
  'herald.graph.billing_missing',
  'herald.graph.not_found',
  'herald.graph.conflict',
  'herald.graph.throttled',
  'herald.graph.unavailable',
  'herald.graph.no_answer',
  'herald.graph.notification_url_unreachable',
  'herald.graph.request_rejected',
  'herald.graph.evaluation_mode',
  // the identity platform (app-only tokens for Graph)
  'herald.login.tenant_not_found',
  'herald.login.app_not_in_tenant',
  'herald.login.consent_required',
  'herald.login.service_principal_missing',
  'herald.login.bad_secret',
  'herald.login.refused',
  'herald.login.unavailable',
  // subscriptions and notifications
  'herald.subscription.expired',
  'herald.notification.retry_later',
  'herald.notification.processing_stopped',
  'herald.notification.inbox_closed',
  'herald.notification.signing_keys_unavailable',
  'herald.changes.handler_failed',
  // the bot, the tab, settings, the app package
  'herald.bot.post_failed',
  'herald.bot.auth_off',
  'herald.tab.sso_token_rejected',
  'herald.settings.invalid',
  'herald.app_package.invalid',
  'herald.app_package.unresolved_placeholder',
  // anything without a code of its own
  // storage
  'herald.store.unavailable',
  'herald.store.migration_failed',
  'herald.store.corrupt',
  'herald.store.write_failed',
  'herald.store.data_dir_in_use',
  'herald.internal',
] as const;

export type HeraldErrorCode = (typeof HERALD_ERROR_CODES)[number];

/** Facts about one occurrence (tenant, chat, setting, status…); never secrets, tokens or message content. */
export type ErrorContext = Readonly<Record<string, string | number | boolean | null | undefined>>;

export function isHeraldErrorCode(value: unknown): value is HeraldErrorCode {
  return typeof value === 'string' && (HERALD_ERROR_CODES as readonly string[]).includes(value);
}
