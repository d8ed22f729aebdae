import { resolve } from 'node:path';
import { ConfigError } from './ConfigError.js';
import { BOT_CLOUD_SETTINGS, type BotAppType, type HeraldConfig } from './HeraldConfig.js';
import { defaultInstanceId, INSTANCE_ID_PATTERN, type InstanceIdSource } from './instanceId.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const APP_TYPES: BotAppType[] = ['SingleTenant', 'MultiTenant', 'UserAssignedMSI'];
const GUIDISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || hostname.startsWith('127.');
}

/** What is wrong with a DATABASE_URL, without repeating it (it may hold a password); null if nothing. */
function databaseUrlProblem(raw: string): string | null {
  const expected = 'expected postgres://user:password@host:5432/database';
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return `is not a URL (${expected})`;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return `must start with postgres:// or postgresql:// (got ${parsed.protocol}//…; ${expected})`;
  if (!parsed.hostname) return `names no host (${expected})`;
  return null;
}

/**
 * Parses and validates Herald's environment once, at start-up. Every problem names its setting;
 * all problems are reported together.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd(), machine?: InstanceIdSource): HeraldConfig {
  const problems: string[] = [];
  const str = (name: string): string => (env[name] ?? '').trim();
  const opt = (name: string): string | null => str(name) || null;

  const url = (name: string, fallback: string | null, { httpsOnly }: { httpsOnly: boolean }): string | null => {
    const raw = str(name) || fallback;
    if (!raw) return null;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${name}: "${raw}" is not a URL`);
      return null;
    }
    const httpAllowed = !httpsOnly || isLoopback(parsed.hostname);
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && httpAllowed)) {
      problems.push(`${name}: must be an https:// URL (got "${raw}")`);
      return null;
    }
    return raw.replace(/\/+$/, '');
  };

  const portRaw = str('PORT') || '3978';
  const port = Number(portRaw);
  if (!/^\d+$/.test(portRaw) || port < 0 || port > 65535) problems.push(`PORT: "${portRaw}" is not a port number (0-65535)`);

  const botId = str('BOT_ID');
  const botPassword = str('BOT_PASSWORD');
  const clientId = str('AAD_APP_CLIENT_ID') || botId;
  const clientSecret = str('AAD_APP_CLIENT_SECRET') || botPassword;
  const tenantId = opt('AAD_APP_TENANT_ID');
  const mode = str('BOT_ID') || str('AAD_APP_CLIENT_ID') ? 'live' : 'playground';

  const appTypeRaw = str('BOT_TYPE') || 'SingleTenant';
  const appType = APP_TYPES.find((t) => t.toLowerCase() === appTypeRaw.toLowerCase());
  if (!appType) problems.push(`BOT_TYPE: "${appTypeRaw}" is not one of ${APP_TYPES.join(', ')}`);
  const botTenantId = opt('BOT_TENANT_ID') ?? tenantId;

  // Only what the user set: a setting that took its default from another is named with that one.
  const defaultsTo = { BOT_ID: 'AAD_APP_CLIENT_ID', AAD_APP_TENANT_ID: 'BOT_TENANT_ID' } as const;
  for (const [name, value] of [['AAD_APP_CLIENT_ID', str('AAD_APP_CLIENT_ID')], ['BOT_ID', botId], ['AAD_APP_TENANT_ID', tenantId], ['BOT_TENANT_ID', opt('BOT_TENANT_ID')]] as const) {
    if (value && !GUIDISH.test(value) && !(name.endsWith('TENANT_ID') && /^[a-z0-9.-]+$/i.test(value))) {
      const follower = name in defaultsTo ? defaultsTo[name as keyof typeof defaultsTo] : null;
      const also = follower && !str(follower) ? ` (${follower}, not set, defaults to it)` : '';
      problems.push(`${name}: "${value}" is not a GUID${also}`);
    }
  }

  const botAuthRaw = str('BOT_AUTH').toLowerCase();
  if (botAuthRaw && botAuthRaw !== 'off') problems.push(`BOT_AUTH: "${str('BOT_AUTH')}" is not supported (only off; leave it blank to keep Bot Framework authentication on)`);
  // Live mode with a blank BOT_ID would accept unauthenticated activities from anyone and post wherever
  // they say; only an explicit BOT_AUTH=off (local work against a simulator) allows it.
  const botAuth: 'on' | 'off' = !botId && botAuthRaw === 'off' ? 'off' : 'on';
  if (mode === 'live' && !botId && botAuthRaw !== 'off') {
    problems.push(
      'BOT_ID: required in live mode, so that Bot Framework requests to /api/messages are authenticated. ' +
        'Set BOT_ID and BOT_PASSWORD to the bot registration; for local work against the Bot Framework Emulator or the Microsoft 365 Agents Playground, set BOT_AUTH=off instead.',
    );
  }
  if (mode === 'live') {
    const botNeedsPassword = Boolean(botId) && !botPassword && appType !== 'UserAssignedMSI';
    if (botNeedsPassword) {
      problems.push(`BOT_PASSWORD: required when BOT_ID is set${clientSecret ? '' : ' (AAD_APP_CLIENT_SECRET, not set, defaults to it: Herald calls Microsoft Graph with it)'}`);
    } else if (!clientSecret) {
      problems.push('AAD_APP_CLIENT_SECRET: required to call Microsoft Graph (it defaults to BOT_PASSWORD)');
    }
    if (botId && appType !== 'MultiTenant' && !botTenantId) problems.push(`BOT_TENANT_ID (or AAD_APP_TENANT_ID): required when BOT_TYPE is ${appType}`);
    if (!str('PUBLIC_URL')) problems.push('PUBLIC_URL: required (the public https base URL Graph delivers notifications to)');
  }

  const authorityHost = url('AAD_AUTHORITY_HOST', 'https://login.microsoftonline.com', { httpsOnly: true }) ?? 'https://login.microsoftonline.com';
  const graphEndpoint = url('GRAPH_ENDPOINT', 'https://graph.microsoft.com', { httpsOnly: true }) ?? 'https://graph.microsoft.com';
  for (const [name, value] of [['AAD_AUTHORITY_HOST', authorityHost], ['GRAPH_ENDPOINT', graphEndpoint]] as const) {
    if (value.startsWith('http:')) problems.push(`${name}: must be an https:// URL (got "${value}")`);
  }
  const publicUrl = url('PUBLIC_URL', null, { httpsOnly: true });

  const billingRaw = str('GRAPH_BILLING_MODEL');
  let billingModel: 'B' | null = null;
  if (billingRaw) {
    if (billingRaw.toUpperCase() === 'B') billingModel = 'B';
    else problems.push(`GRAPH_BILLING_MODEL: "${billingRaw}" is not supported (only B; leave it blank for evaluation mode)`);
  }

  const certFile = opt('NOTIFICATION_CERT_FILE');
  const keyFile = opt('NOTIFICATION_KEY_FILE');
  if (Boolean(certFile) !== Boolean(keyFile)) {
    problems.push(`${certFile ? 'NOTIFICATION_KEY_FILE' : 'NOTIFICATION_CERT_FILE'}: required when ${certFile ? 'NOTIFICATION_CERT_FILE' : 'NOTIFICATION_KEY_FILE'} is set`);
  }
  const certId = opt('NOTIFICATION_CERT_ID');
  if (certId && certId.length > 128) problems.push('NOTIFICATION_CERT_ID: at most 128 characters');

  const logLevel = (str('LOG_LEVEL') || 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);

  const teamsAppId = opt('TEAMS_APP_ID');
  if (teamsAppId && !/^[A-Za-z0-9-]+$/.test(teamsAppId)) problems.push(`TEAMS_APP_ID: "${teamsAppId}" is not a Teams app catalog id`);

  const databaseUrl = opt('DATABASE_URL');
  if (databaseUrl) {
    const problem = databaseUrlProblem(databaseUrl);
    if (problem) problems.push(`DATABASE_URL: ${problem}`);
  }

  const instanceId = opt('HERALD_INSTANCE_ID');
  if (instanceId && !INSTANCE_ID_PATTERN.test(instanceId)) {
    problems.push(`HERALD_INSTANCE_ID: "${instanceId.slice(0, 140)}" must be 1-128 letters, digits, '.', '_', ':' or '-'`);
  }

  const cloudSettings: HeraldConfig['bot']['cloudSettings'] = {};
  for (const name of BOT_CLOUD_SETTINGS) {
    const value = str(name);
    if (value) cloudSettings[name] = value;
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    mode,
    port,
    host: str('HOST') || (mode === 'playground' ? '127.0.0.1' : '0.0.0.0'),
    bot: { appId: botId, password: botPassword, appType: appType ?? 'SingleTenant', tenantId: botTenantId, cloudSettings, auth: mode === 'playground' ? 'off' : botAuth },
    aad: { clientId, clientSecret, tenantId, authorityHost },
    graph: { endpoint: graphEndpoint, billingModel },
    publicUrl,
    notificationCert: {
      certFile: certFile ? resolve(cwd, certFile) : null,
      keyFile: keyFile ? resolve(cwd, keyFile) : null,
      certId,
    },
    dataDir: resolve(cwd, str('DATA_DIR') || './data'),
    databaseUrl,
    teamsAppId,
    logLevel,
    instanceId: instanceId ?? defaultInstanceId(machine),
  };
}
