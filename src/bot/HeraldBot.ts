import { ActivityTypes, TeamsActivityHandler, TurnContext, type Activity } from 'botbuilder';
import type { Logger } from 'pino';
import type { InstallationRegistry } from '../installations/InstallationRegistry.js';
import { tenantOf } from '../installations/InstallationRegistry.js';
import { describeSettings, type ChatSettingsService } from '../settings/ChatSettingsService.js';
import { HELP_TEXT, parseCommand } from './commands/parseCommand.js';

export interface HeraldBotDeps {
  registry: InstallationRegistry;
  settings: ChatSettingsService;
  /** Lines describing a chat's status (subscriptions, problems, billing mode). */
  statusLines: (chatId: string) => string[];
  log: Logger;
}

export const WELCOME_TEXT =
  "Hi, I'm Herald. I'll post here when people join or leave this chat and when it is renamed. Mention me with `help` to see what I can do.";
export const NOT_A_GROUP_CHAT_TEXT =
  'Herald works in group chats: add me to a group chat and I will announce who joins and leaves and when the chat is renamed.';

type Scope = 'groupChat' | 'personal' | 'channel' | 'unknown';

function scopeOf(activity: Partial<Activity>): Scope {
  const type = activity.conversation?.conversationType;
  if (type === 'groupChat' || type === 'personal' || type === 'channel') return type;
  return 'unknown';
}

/** Removal of the bot itself: `installationUpdate` remove, or the bot in `membersRemoved`. */
function isBotRemoval(activity: Partial<Activity>): boolean {
  if (activity.type === ActivityTypes.InstallationUpdate) return /^remove/i.test(activity.action ?? '');
  if (activity.type === ActivityTypes.ConversationUpdate) {
    return (activity.membersRemoved ?? []).some((m) => m.id === activity.recipient?.id);
  }
  return false;
}

/**
 * Herald's bot: keeps installations current from every activity, welcomes once per installation, and
 * answers chat commands. Announcements are not posted from here (see announcements/).
 */
export class HeraldBot extends TeamsActivityHandler {
  constructor(private readonly deps: HeraldBotDeps) {
    super();
    this.onTurn(async (context, next) => {
      await this.trackInstallation(context);
      await next();
    });
    this.onMessage(async (context, next) => {
      await this.answer(context);
      await next();
    });
  }

  private async trackInstallation(context: TurnContext): Promise<void> {
    const activity = context.activity;
    if (scopeOf(activity) !== 'groupChat') {
      if (activity.type === ActivityTypes.InstallationUpdate && /^add/i.test(activity.action ?? '')) {
        await context.sendActivity(NOT_A_GROUP_CHAT_TEXT);
      }
      return;
    }
    if (isBotRemoval(activity)) {
      await this.deps.registry.markUninstalled(activity.conversation.id, 'removed from the chat', tenantOf(activity), activity.from?.name);
      return;
    }
    const result = await this.deps.registry.touch(activity);
    if (result?.becameInstalled) await context.sendActivity(WELCOME_TEXT);
  }

  private async answer(context: TurnContext): Promise<void> {
    const activity = context.activity;
    if (scopeOf(activity) !== 'groupChat') {
      await context.sendActivity(NOT_A_GROUP_CHAT_TEXT);
      return;
    }
    const chatId = activity.conversation.id;
    const tenantId = tenantOf(activity) ?? '';
    const text = TurnContext.removeRecipientMention(activity) ?? activity.text ?? '';
    const command = parseCommand(text);
    this.deps.log.debug({ chatId, command: command.name }, 'chat command');
    switch (command.name) {
      case 'help':
        await context.sendActivity(HELP_TEXT);
        return;
      case 'status':
        await context.sendActivity(['**Herald status**', ...this.deps.statusLines(chatId).map((l) => `- ${l}`)].join('\n'));
        return;
      case 'settings':
        await context.sendActivity(`Settings for this chat: ${describeSettings(this.deps.settings.get(chatId))}`);
        return;
      case 'set': {
        const by = activity.from?.name ?? null;
        const { settings, changes } = await this.deps.settings.apply(chatId, tenantId, command.patch, by, 'chat');
        const what = changes.length > 0 ? `Done: ${changes.join('; ')}.` : 'Nothing to change.';
        await context.sendActivity(`${what} Settings: ${describeSettings(settings)}`);
        return;
      }
      case 'invalid':
        await context.sendActivity(command.message);
        return;
      case 'unknown':
        await context.sendActivity(`I don't know "${command.text}". ${HELP_TEXT}`);
        return;
    }
  }
}
