import type { ErrorContext, HeraldErrorCode } from './errorCodes.js';

/** What Herald tells an admin about one error code: what happened, what to change and where. */
export interface CatalogueEntry {
  /** What happened, in a few words (status lines, /healthz). */
  reason: string;
  /** What to do about it; "Herald retries on its own" when nothing is needed. */
  advice: string;
  /** Retrying cannot fix it: someone must change a setting, a permission or a registration first. */
  permanent: boolean;
}

const RETRIES = 'Herald retries on its own.';
const REINSTALL = 'then remove Herald from the chat and add it again (or restart Herald).';
const LOGIN_DOCS = 'https://learn.microsoft.com/entra/identity-platform/reference-error-codes';

/** A context value as text, or the fallback when the occurrence did not record it. */
function fact(context: ErrorContext, key: string, fallback: string): string {
  const value = context[key];
  return value === undefined || value === null || value === '' ? fallback : String(value);
}

/**
 * The catalogue: one entry per code. The switch is exhaustive (a new code without an entry does not
 * compile), so advice is written here once and status lines, the tab, /healthz and start-up draw on it.
 */
export function catalogueEntry(code: HeraldErrorCode, context: ErrorContext = {}): CatalogueEntry {
  const tenant = fact(context, 'tenantId', 'this organization');
  switch (code) {
    case 'herald.config.invalid':
      return { reason: 'a setting is missing or malformed', advice: 'Fix each setting named above (environment or .env file) and start Herald again.', permanent: true };
    case 'herald.start.port_in_use':
      return { reason: `port ${fact(context, 'port', '?')} is in use`, advice: 'stop the other process or set PORT to a free port.', permanent: true };
    case 'herald.start.address_unavailable':
      return { reason: `cannot listen on ${fact(context, 'host', '?')}:${fact(context, 'port', '?')}`, advice: 'this machine has no such address: set HOST to one of its addresses (or 0.0.0.0).', permanent: true };
    case 'herald.start.port_not_permitted':
      return { reason: `permission denied to listen on port ${fact(context, 'port', '?')}`, advice: 'set PORT to a port above 1023.', permanent: true };
    case 'herald.start.data_dir_not_writable':
      return {
        reason: `it may not write ${fact(context, 'path', 'its data folder')}`,
        advice: `make DATA_DIR (${fact(context, 'dataDir', '?')}) writable for this user, or set DATA_DIR to a folder it can write.`,
        permanent: true,
      };
    case 'herald.certificate.invalid':
      return {
        reason: 'the notification encryption certificate is unusable',
        advice: 'Point NOTIFICATION_CERT_PATH / NOTIFICATION_KEY_PATH at a PEM certificate with an RSA key of 2048–4096 bits and its private key, or unset both so Herald generates one.',
        permanent: true,
      };
    case 'herald.graph.consent_missing':
      return {
        reason: "Microsoft Graph refused access to the chat (the chat's resource-specific consent was not granted, or Herald was removed)",
        advice:
          'Herald lacks permission to read this chat. Someone who can add apps to this chat should remove Herald and add it again, accepting the permissions it asks for. If your organization blocks chat-level (resource-specific) consent, a Teams admin must allow it (Teams admin center → Permission policies / app permissions).',
        permanent: true,
      };
    case 'herald.graph.tenant_permissions_missing':
      return {
        reason: 'Graph refused the tenant-wide installedToChats subscriptions',
        advice:
          "Herald's Entra app needs admin consent for the application permissions Chat.ReadBasic.WhereInstalled and ChatMember.Read.WhereInstalled. " +
          'An administrator of this tenant grants it in the Microsoft Entra admin center (Enterprise applications → Herald → Permissions → Grant admin consent), ' +
          `or opens https://login.microsoftonline.com/${fact(context, 'tenantId', '<tenant id>')}/adminconsent?client_id=<Herald's AAD_APP_CLIENT_ID>. Per-chat subscriptions keep working.`,
        permanent: true,
      };
    case 'herald.graph.billing_missing':
      return {
        reason: 'Graph refused the metered installedToChats subscriptions (402)',
        advice: 'Link the app registration to an Azure subscription for model=B billing, or unset GRAPH_BILLING_MODEL. Per-chat subscriptions keep working.',
        permanent: true,
      };
    case 'herald.graph.not_found':
      return { reason: 'Graph no longer knows it (404)', advice: 'Graph no longer knows this subscription. Herald recreates it at its next renewal check; restarting Herald does it at once.', permanent: false };
    case 'herald.graph.conflict':
      return { reason: 'Graph reported a conflict (409)', advice: `${RETRIES} Nothing to do unless this stays.`, permanent: false };
    case 'herald.graph.throttled':
      return { reason: 'Microsoft Graph is throttling requests (429)', advice: 'Microsoft Graph is throttling requests. Herald retries on its own; nothing to do unless this lasts for hours.', permanent: false };
    case 'herald.graph.unavailable':
      return { reason: 'Microsoft Graph had trouble answering (5xx)', advice: `${RETRIES} If this lasts, check https://status.cloud.microsoft for Microsoft Graph incidents.`, permanent: false };
    case 'herald.graph.no_answer':
      return { reason: 'Microsoft Graph did not answer', advice: `${RETRIES} If this stays, check that this machine can reach GRAPH_ENDPOINT (proxy, firewall, DNS).`, permanent: false };
    case 'herald.graph.notification_url_unreachable':
      return {
        reason: "Microsoft Graph could not reach Herald's notification URL",
        advice: 'Microsoft Graph could not reach Herald. Whoever runs Herald should check that its PUBLIC_URL answers over HTTPS from the internet (tunnel, hosting, TLS) within 10 seconds.',
        permanent: false,
      };
    case 'herald.graph.request_rejected':
      return { reason: 'Microsoft Graph rejected the request', advice: 'Herald retries on its own. If this stays, whoever runs Herald should look at its logs.', permanent: false };
    case 'herald.graph.evaluation_mode':
      return {
        reason: 'the tenant-wide installedToChats subscriptions run in Microsoft Graph evaluation mode (about 500 notifications a month, then Graph silently stops sending)',
        advice: 'Set GRAPH_BILLING_MODEL=B once billing is set up (the app registration linked to an Azure subscription). Per-chat subscriptions are not affected.',
        permanent: false,
      };
    case 'herald.login.tenant_not_found':
      return {
        reason: `Microsoft's sign-in service does not know the tenant ${tenant} (AADSTS90002)`,
        advice: `Check that the chat's organization is a Microsoft Entra tenant in the cloud AAD_AUTHORITY_HOST points at (national clouds have their own sign-in host); Herald does not retry until it is added again or restarted. See ${LOGIN_DOCS}.`,
        permanent: true,
      };
    case 'herald.login.app_not_in_tenant':
      return {
        reason: `Herald's app registration is not known in ${tenant} (AADSTS700016)`,
        advice: `An administrator of that organization must consent to Herald (Microsoft Entra admin center → Enterprise applications, or the admin-consent URL); the app registration (AAD_APP_CLIENT_ID) must be multi-tenant. ${cap(REINSTALL)}`,
        permanent: true,
      };
    case 'herald.login.consent_required':
      return {
        reason: `no administrator of ${tenant} has consented to Herald's permissions (AADSTS65001)`,
        advice: `An administrator of that organization must grant admin consent (Microsoft Entra admin center → Enterprise applications → Herald → Permissions → Grant admin consent), ${REINSTALL}`,
        permanent: true,
      };
    case 'herald.login.service_principal_missing':
      return {
        reason: `Herald has no service principal (enterprise application) in ${tenant} (AADSTS7000229)`,
        advice: `An administrator of that organization must add Herald as an enterprise application by consenting to it (the admin-consent URL), ${REINSTALL}`,
        permanent: true,
      };
    case 'herald.login.bad_secret':
      return {
        reason: "the sign-in service refused Herald's client secret (wrong or expired)",
        advice: 'Create a new client secret (Microsoft Entra admin center → App registrations → Herald → Certificates & secrets), put its Value (not its ID) in AAD_APP_CLIENT_SECRET and restart Herald.',
        permanent: true,
      };
    case 'herald.login.refused':
      return {
        reason: `Microsoft's sign-in service refused Herald for ${tenant}`,
        advice: `An administrator of your organization must consent to Herald (Microsoft Entra admin center → Enterprise applications), ${REINSTALL} The AADSTS code in the log says more: ${LOGIN_DOCS}.`,
        permanent: true,
      };
    case 'herald.login.unavailable':
      return { reason: "Microsoft's sign-in service did not answer", advice: `${RETRIES} If this stays, check that this machine can reach AAD_AUTHORITY_HOST.`, permanent: false };
    case 'herald.subscription.expired':
      return {
        reason: 'the subscription expired',
        advice: 'Herald renews subscriptions before they expire, so this one was missed (Herald was stopped or could not renew). Herald recreates it when it next starts or checks its subscriptions.',
        permanent: false,
      };
    case 'herald.notification.retry_later':
      return { reason: 'a notification could not be processed yet', advice: `${RETRIES} It stays in the inbox and is tried again.`, permanent: false };
    case 'herald.notification.processing_stopped':
      return { reason: 'notification processing stopped (shutdown)', advice: 'Nothing to do: the batch stays in the inbox and is processed after the restart.', permanent: false };
    case 'herald.notification.inbox_closed':
      return { reason: 'the notification inbox is closed (shutdown)', advice: 'Nothing to do: Herald answered 503, so Graph delivers the notification again.', permanent: false };
    case 'herald.notification.signing_keys_unavailable':
      return { reason: 'the validation-token signing keys could not be read', advice: `${RETRIES} If this stays, check that this machine can reach AAD_AUTHORITY_HOST.`, permanent: false };
    case 'herald.changes.handler_failed':
      return {
        reason: `applying the changes of chat ${fact(context, 'chatId', '?')} failed; nothing of them was stored`,
        advice: `${RETRIES} Notifications are tried again (then caught up with a reconcile); the log line before this one says what failed.`,
        permanent: false,
      };
    case 'herald.bot.post_failed':
      return { reason: 'the Bot Connector refused a post', advice: 'Herald retries what can be retried; a 403/404 means Herald is no longer in the chat and it stops posting there.', permanent: false };
    case 'herald.bot.auth_off':
      return {
        reason: 'BOT_AUTH=off: /api/messages accepts unauthenticated requests and Herald posts unauthenticated',
        advice: 'Only for local work against a simulator; set BOT_ID and BOT_PASSWORD for anything else.',
        permanent: false,
      };
    case 'herald.tab.sso_token_rejected':
      return { reason: 'the tab sent a Teams SSO token Herald refuses', advice: "Check the app manifest's webApplicationInfo (id = AAD_APP_CLIENT_ID, resource = api://<PUBLIC_URL host>/<client id>) and that the app exposes the access_as_user scope.", permanent: true };
    case 'herald.settings.invalid':
      return { reason: 'a chat setting was refused', advice: 'Send a value within the range the message names; nothing was changed.', permanent: true };
    case 'herald.app_package.invalid':
      return { reason: 'the Teams app package is not valid', advice: 'Fix each problem listed above in appPackage/ and build the package again.', permanent: true };
    case 'herald.app_package.unresolved_placeholder':
      return { reason: 'the app manifest uses variables that are not set', advice: 'Set each variable named above in env/.env.<environment> (or the environment) and build the package again.', permanent: true };
    case 'herald.store.unavailable':
      return {
        reason: `the database in DATABASE_URL (${fact(context, 'location', '?')}) cannot be reached`,
        advice: 'start the database or fix DATABASE_URL; Herald reconnects by itself once it answers.',
        permanent: false,
      };
    case 'herald.store.migration_failed':
      return {
        reason: `database migration ${fact(context, 'version', '?')} failed and was rolled back`,
        advice: 'nothing of it is applied; fix what the error names in the database DATABASE_URL points to, or run the Herald release that ran on it before.',
        permanent: true,
      };
    case 'herald.store.corrupt':
      return {
        reason: `storage file ${fact(context, 'path', 'in DATA_DIR')} is damaged`,
        advice: 'move it aside to start fresh, or put back a backup; Herald refuses to start rather than lose what it holds.',
        permanent: true,
      };
    case 'herald.store.write_failed':
      return {
        reason: `Herald cannot write its store ${fact(context, 'location', 'in DATA_DIR')} (${fact(context, 'driverCode', 'write refused')})`,
        advice: 'free disk space or make DATA_DIR writable again; notifications are refused (Graph retries them) until it can write, then Herald carries on by itself.',
        permanent: false,
      };
    case 'herald.store.data_dir_in_use':
      return {
        reason: `DATA_DIR (${fact(context, 'dataDir', '?')}) is in use by another Herald process${context.pid ? ` (pid ${String(context.pid)})` : ''}`,
        advice: 'stop that process, or give this one its own DATA_DIR; to run several instances on one state, set DATABASE_URL (PostgreSQL) on each.',
        permanent: true,
      };
    case 'herald.internal':
      return { reason: 'something unexpected failed', advice: 'Herald retries on its own. If this stays, whoever runs Herald should look at its logs.', permanent: false };
    default: {
      const unknown: never = code;
      throw new Error(`no catalogue entry for ${String(unknown)}`);
    }
  }
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The advice for a code (what to change, where). */
export function adviceFor(code: HeraldErrorCode, context: ErrorContext = {}): string {
  return catalogueEntry(code, context).advice;
}

/** "reason: advice", the one-line form for logs, status and start-up messages. */
export function explain(code: HeraldErrorCode, context: ErrorContext = {}): string {
  const entry = catalogueEntry(code, context);
  return `${entry.reason}: ${entry.advice}`;
}
