export type BotAppType = 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';
export type HeraldMode = 'live' | 'playground';

/** Botbuilder's cloud settings, passed through to ConfigurationBotFrameworkAuthentication. */
export const BOT_CLOUD_SETTINGS = [
  'ToBotFromChannelOpenIdMetadataUrl',
  'ToBotFromChannelTokenIssuer',
  'ToBotFromEmulatorOpenIdMetadataUrl',
  'ToChannelFromBotLoginUrl',
  'ToChannelFromBotOAuthScope',
  'OAuthUrl',
  'ChannelService',
  'CallerId',
  'ValidateAuthority',
] as const;

export interface HeraldConfig {
  mode: HeraldMode;
  port: number;
  /** Interface to bind; loopback in the playground. */
  host: string;
  bot: {
    /** Blank: inbound auth off and outbound calls unauthenticated (local work only). */
    appId: string;
    password: string;
    appType: BotAppType;
    tenantId: string | null;
    cloudSettings: Partial<Record<(typeof BOT_CLOUD_SETTINGS)[number], string>>;
    /** `off` only with a blank appId: BOT_AUTH=off in live mode, or the playground. */
    auth: 'on' | 'off';
  };
  aad: {
    clientId: string;
    clientSecret: string;
    tenantId: string | null;
    /** Without trailing slash, e.g. https://login.microsoftonline.com */
    authorityHost: string;
  };
  graph: {
    /** Without trailing slash, e.g. https://graph.microsoft.com */
    endpoint: string;
    billingModel: 'B' | null;
  };
  /** Public base URL Graph can reach (no trailing slash); null only in the playground before wiring. */
  publicUrl: string | null;
  notificationCert: {
    certFile: string | null;
    keyFile: string | null;
    certId: string | null;
  };
  dataDir: string;
  /**
   * DATABASE_URL: `postgres://…` for the shared PostgreSQL store, null for the embedded store in
   * DATA_DIR. Holds the password: log `redactDatabaseUrl(databaseUrl)`, never this.
   */
  databaseUrl: string | null;
  teamsAppId: string | null;
  logLevel: string;
  /** HERALD_INSTANCE_ID, or `${hostname}-${pid}-${random}`: tells instances sharing one store apart. */
  instanceId: string;
}
