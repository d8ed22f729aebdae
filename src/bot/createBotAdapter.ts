import { ConfidentialClientApplication } from '@azure/msal-node';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import { MsalServiceClientCredentialsFactory } from 'botframework-connector';
import type { Logger } from 'pino';
import type { HeraldConfig } from '../config/HeraldConfig.js';

const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/**
 * Botbuilder's CloudAdapter for `/api/messages` and proactive posts. With a blank BOT_ID inbound auth
 * is off and outbound calls are unauthenticated (Bot Framework Emulator mode, local work only).
 */
export function createBotAdapter(config: HeraldConfig, log: Logger): CloudAdapter {
  const { bot, aad } = config;
  const options: ConfigurationBotFrameworkAuthenticationOptions = {
    MicrosoftAppId: bot.appId,
    MicrosoftAppPassword: bot.password,
    // With a blank app id there is no credential to scope to a tenant (emulator mode).
    MicrosoftAppType: bot.appId ? bot.appType : 'MultiTenant',
    MicrosoftAppTenantId: bot.appId ? (bot.tenantId ?? undefined) : undefined,
    ...bot.cloudSettings,
  } as ConfigurationBotFrameworkAuthenticationOptions;

  let auth: ConfigurationBotFrameworkAuthentication;
  if (bot.appId && aad.authorityHost !== DEFAULT_AUTHORITY_HOST) {
    // botbuilder's bundled msal would run instance discovery against Microsoft's public host; a custom
    // authority host (national cloud, test double) needs an msal client that knows it.
    const tenantPath = bot.appType === 'MultiTenant' ? 'botframework.com' : bot.tenantId;
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: bot.appId,
        clientSecret: bot.password,
        authority: `${aad.authorityHost}/${tenantPath}`,
        knownAuthorities: [new URL(aad.authorityHost).host],
      },
    });
    auth = new ConfigurationBotFrameworkAuthentication(
      { ToChannelFromBotLoginUrl: `${aad.authorityHost}/${tenantPath}`, ValidateAuthority: false, ...options } as ConfigurationBotFrameworkAuthenticationOptions,
      new MsalServiceClientCredentialsFactory(bot.appId, cca as unknown as ConstructorParameters<typeof MsalServiceClientCredentialsFactory>[1]),
    );
  } else {
    auth = new ConfigurationBotFrameworkAuthentication(options);
  }

  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context, error) => {
    log.error({ err: error, chatId: context.activity.conversation?.id, activityType: context.activity.type }, 'bot turn failed');
  };
  return adapter;
}
