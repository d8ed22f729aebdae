import { ActivityTypes, TeamsActivityHandler, TurnContext, type Activity, type AdaptiveCardInvokeResponse, type AdaptiveCardInvokeValue } from 'botbuilder';
import type { Logger } from 'pino';
import type { ChatUnits } from '../events/ChatUnits.js';
import type { ChangeEvent } from '../model/changeEvents.js';
import type { InstallationRegistry } from '../installations/InstallationRegistry.js';
import { tenantOf } from '../installations/InstallationRegistry.js';
import { changeSentence, describeSettings, SettingsError, type ChatSettingsService } from '../settings/ChatSettingsService.js';
import type { SettingsActor, SettingsGate } from '../settings/SettingsGate.js';
import type { ChatSettings } from '../model/chat.js';
import { ENGLISH, messagesFor, type Messages } from '../i18n/Messages.js';
import { languageOf } from '../i18n/languages.js';
import { refusalMessage } from '../settings/settingsPermission.js';
import { helpText, parseCommand } from './commands/parseCommand.js';
import { buildSettingsCard, cardInvokeError, cardInvokeResponse, patchFromCardInputs, settingsCardActivity, SETTINGS_VERBS } from './settingsCard.js';
import { markdownLiteral } from './teamsText.js';
import { readTurnMember, readTurnMembers } from './BotConnectorMembers.js';
import type { ConnectorMember } from '../names/ConnectorMembers.js';
import { welcomeText } from './welcomeText.js';

export { WELCOME_TEXT } from './welcomeText.js';

export interface HeraldBotDeps {
  registry: InstallationRegistry;
  settings: Pick<ChatSettingsService, 'get' | 'adoptLanguage'>;
  /** Every settings change by a person goes through the gate (who may change them). */
  gate: Pick<SettingsGate, 'change'>;
  /** Lines describing a chat's status (subscriptions, problems, billing mode). */
  statusLines: (chatId: string, messages: Messages) => Promise<string[]>;
  /** Where membership changes Teams tells the bot about go: the chat's unit of work, as Graph's do. */
  units?: Pick<ChatUnits, 'apply'>;
  clock?: () => Date;
  log: Logger;
}

export const NOT_A_GROUP_CHAT_TEXT = ENGLISH.text('reply.notGroupChat');

type Scope = 'groupChat' | 'personal' | 'channel' | 'unknown';

function scopeOf(activity: Partial<Activity>): Scope {
  const type = activity.conversation?.conversationType;
  if (type === 'groupChat' || type === 'personal' || type === 'channel') return type;
  return 'unknown';
}

/**
 * The sender's locale: the activity's `locale`, else the `clientInfo` entity's
 * (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/bot-basics#localization).
 */
function localeOf(activity: Partial<Activity>): string | null {
  if (activity.locale) return activity.locale;
  const info = (activity.entities ?? []).find((e) => e.type === 'clientInfo') as { locale?: unknown } | undefined;
  return typeof info?.locale === 'string' ? info.locale : null;
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
        await context.sendActivity(messagesFor(languageOf(localeOf(activity))).text('reply.notGroupChat'));
      }
      return;
    }
    if (isBotRemoval(activity)) {
      await this.deps.registry.markUninstalled(activity.conversation.id, 'removed from the chat', tenantOf(activity), activity.from?.name);
      return;
    }
    const result = await this.deps.registry.touch(activity);
    if (result?.becameInstalled) await this.welcome(context, activity);
    if (activity.type === ActivityTypes.ConversationUpdate) await this.reportMembers(context);
  }

  /** The welcome, in the installer's language unless the chat chose one. */
  private async welcome(context: TurnContext, activity: Activity): Promise<void> {
    const chatId = activity.conversation.id;
    const installerLanguage = languageOf(localeOf(activity));
    const settings = installerLanguage
      ? await this.deps.settings.adoptLanguage(chatId, tenantOf(activity) ?? '', installerLanguage)
      : await this.deps.settings.get(chatId);
    await context.sendActivity(welcomeText(settings));
  }

  /**
   * People added to or removed from the chat, as Teams tells the bot: a second source besides Graph
   * (and the only one while Graph cannot report the chat), and the only one that says who did it
   * (`from`). The announcer keeps one change per person whichever source comes first. The event names
   * people by id only, so the people added are read from the Bot Connector in the turn: their name, home
   * tenant and guest role, without which a guest would be announced unmarked (or, with "guests only",
   * not at all) whenever Teams' event comes before Graph's.
   */
  private async reportMembers(context: TurnContext): Promise<void> {
    const { units } = this.deps;
    if (!units) return;
    const activity = context.activity;
    const chatId = activity.conversation.id;
    const tenantId = tenantOf(activity) ?? '';
    const receivedAt = (this.deps.clock ?? (() => new Date()))().toISOString();
    const stamp = activity.timestamp ? new Date(activity.timestamp) : null;
    const at = stamp && !Number.isNaN(stamp.getTime()) ? stamp.toISOString() : receivedAt;
    const actor = activity.from?.aadObjectId ? { userId: activity.from.aadObjectId, name: activity.from.name?.trim() || null } : null;
    const people = (list: Activity['membersAdded'] | undefined) => (list ?? []).filter((m) => m.id !== activity.recipient?.id && Boolean(m.aadObjectId));
    const base = { tenantId, chatId, source: 'bot' as const, receivedAt, at, actor };
    const added = people(activity.membersAdded);
    const known = added.length > 0 ? await this.connectorRecords(context, added) : new Map<string, ConnectorMember>();
    const changes: ChangeEvent[] = [];
    for (const m of added) {
      const userId = m.aadObjectId as string;
      const record = known.get(userId.toLowerCase());
      // Without the connector's record the home tenant and role stay unknown (null, no roles), never guessed.
      const member = { userId, displayName: m.name?.trim() || record?.displayName || null, tenantId: record?.tenantId ?? null, roles: record?.guest ? ['guest'] : [] };
      changes.push({ ...base, kind: 'memberAdded', changeKey: `bot|${activity.id ?? receivedAt}|added|${userId}`, member });
    }
    for (const m of people(activity.membersRemoved)) {
      const userId = m.aadObjectId as string;
      changes.push({ ...base, kind: 'memberRemoved', changeKey: `bot|${activity.id ?? receivedAt}|removed|${userId}`, member: { userId } });
    }
    // One activity, one unit: its people are applied together, in the order Teams listed them.
    if (changes.length > 0) await units.apply({ chatId, tenantId, changes });
  }

  /** The Bot Connector's records of people, or none when it cannot be read (Graph's item may still tell). */
  private async connectorRecords(context: TurnContext, accounts: ReadonlyArray<{ id: string }>): Promise<Map<string, ConnectorMember>> {
    try {
      return await readTurnMembers(context, accounts);
    } catch (error) {
      this.deps.log.warn({ err: error, chatId: context.activity.conversation.id }, 'could not read the people added from the Bot Connector; their guest role waits for Graph');
      return new Map();
    }
  }

  private async answer(context: TurnContext): Promise<void> {
    const activity = context.activity;
    if (scopeOf(activity) !== 'groupChat') {
      await context.sendActivity(messagesFor(languageOf(localeOf(activity))).text('reply.notGroupChat'));
      return;
    }
    const chatId = activity.conversation.id;
    const tenantId = tenantOf(activity) ?? '';
    const m = messagesFor((await this.deps.settings.get(chatId)).language);
    const text = TurnContext.removeRecipientMention(activity) ?? activity.text ?? '';
    const command = parseCommand(text);
    this.deps.log.debug({ chatId, command: command.name }, 'chat command');
    switch (command.name) {
      case 'help':
        await context.sendActivity(helpText(m));
        return;
      case 'status':
        await context.sendActivity([m.text('reply.statusTitle'), ...(await this.deps.statusLines(chatId, m)).map((l) => `- ${l}`)].join('\n'));
        return;
      case 'settings':
        await context.sendActivity(settingsCardActivity(await this.deps.settings.get(chatId)));
        return;
      case 'set':
        await context.sendActivity(await this.change(context, chatId, tenantId, command.patch));
        return;
      case 'invalid':
        await context.sendActivity(m.text(command.message, { languages: m.languages(), ...command.values }));
        return;
      case 'unknown':
        await context.sendActivity(m.text('reply.unknownCommand', { text: command.text, help: helpText(m) }));
        return;
    }
  }

  /**
   * The settings card's buttons (`adaptiveCard/action`): Refresh shows the settings as they are now;
   * Save goes through the same gate as the commands and the tab. The person who pressed it gets the
   * answer on their card; after a change everyone's card shows the new settings, and the chat is told
   * who changed what.
   */
  protected override async onAdaptiveCardInvoke(context: TurnContext, value: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const activity = context.activity;
    if (scopeOf(activity) !== 'groupChat') return cardInvokeError(400, 'NotAGroupChat', NOT_A_GROUP_CHAT_TEXT);
    const chatId = activity.conversation.id;
    switch (value.action.verb) {
      case SETTINGS_VERBS.refresh:
        return cardInvokeResponse(buildSettingsCard(await this.deps.settings.get(chatId)));
      case SETTINGS_VERBS.save:
        return this.saveFromCard(context, chatId, value.action.data);
      default:
        return cardInvokeError(400, 'NotSupported', `Herald's cards have no action "${String(value.action.verb)}".`);
    }
  }

  private async saveFromCard(context: TurnContext, chatId: string, data: unknown): Promise<AdaptiveCardInvokeResponse> {
    const activity = context.activity;
    let patch: Partial<ChatSettings>;
    try {
      patch = patchFromCardInputs(data);
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      const settings = await this.deps.settings.get(chatId);
      const m = messagesFor(settings.language);
      const notice = m.text('card.notSaved', { reason: error.reason(m) });
      return cardInvokeResponse(buildSettingsCard(settings, { text: notice, tone: 'attention' }));
    }
    const outcome = await this.deps.gate.change({ chatId, chatTenantId: tenantOf(activity) ?? '', actor: await this.sender(context), patch, source: 'chat' });
    const m = messagesFor(outcome.settings.language);
    if (!outcome.allowed) return cardInvokeResponse(buildSettingsCard(outcome.settings, { text: refusalMessage(outcome.rule, outcome.reason, m), tone: 'attention' }));
    if (outcome.changes.length === 0) return cardInvokeResponse(buildSettingsCard(outcome.settings, { text: m.text('card.nothingToChange'), tone: 'good' }));
    if (activity.replyToId) {
      try {
        await context.updateActivity({ ...settingsCardActivity(outcome.settings), id: activity.replyToId });
      } catch (error) {
        // The answer below still reaches the person and the chat; other viewers refresh on their own.
        this.deps.log.warn({ err: error, chatId }, 'could not update the settings card for everyone');
      }
    }
    await context.sendActivity(changedReply(outcome.by, outcome.changes, outcome.settings));
    return cardInvokeResponse(buildSettingsCard(outcome.settings, { text: `${changeSentence(outcome.by, outcome.changes, m)}.`, tone: 'good' }));
  }

  /**
   * The person a message or card action comes from, with the Bot Connector's record of them in this
   * conversation (tenant, guest role), so settings can be changed where Graph cannot confirm membership
   * (no Graph consent yet, Graph down, Microsoft 365 Agents Playground). Read by the `29:` id the activity
   * carries, the id every Bot Connector answers to.
   */
  private async sender(context: TurnContext): Promise<SettingsActor> {
    const from = context.activity.from;
    const actor: SettingsActor = { userId: from?.aadObjectId ?? null, name: from?.name ?? null };
    if (!from?.id || !actor.userId) return actor;
    try {
      return { ...actor, connector: await readTurnMember(context, from.id) };
    } catch (error) {
      this.deps.log.warn({ err: error, chatId: context.activity.conversation.id }, 'could not read the sender from the Bot Connector; asking the roster and Graph');
      return actor;
    }
  }

  /** The answer to a settings command: who changed what, or why the person may not. */
  private async change(context: TurnContext, chatId: string, tenantId: string, patch: Partial<ChatSettings>): Promise<string> {
    const outcome = await this.deps.gate.change({ chatId, chatTenantId: tenantId, actor: await this.sender(context), patch, source: 'chat' });
    // In the chat's language after the change: `language de` is answered in German.
    const m = messagesFor(outcome.settings.language);
    if (!outcome.allowed) return refusalMessage(outcome.rule, outcome.reason, m);
    if (outcome.changes.length === 0) return m.text('reply.nothingToChange', { settings: describeSettings(outcome.settings, m) });
    return changedReply(outcome.by, outcome.changes, outcome.settings);
  }
}

/** "Ada changed Herald's settings: joins off. Settings: …" in the chat (names as literal Markdown). */
function changedReply(by: string | null, changes: readonly string[], settings: ChatSettings): string {
  const m = messagesFor(settings.language);
  return m.text('reply.changed', { sentence: changeSentence(by && markdownLiteral(by), changes, m), settings: describeSettings(settings, m) });
}
