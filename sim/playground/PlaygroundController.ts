/**
 * What the page's controls do. Every change happens in the simulated world or in Teams: Herald hears
 * about it only the way it would live — Graph change and lifecycle notifications from the Graph double,
 * Bot Framework activities from the Teams double. Nothing here calls into Herald.
 */
import type { Logger } from 'pino';
import type { Delivery } from '../doubles/teams/index.js';
import type { WireEntry } from '../doubles/world/WireLog.js';
import type { WorldUser } from '../doubles/world/types.js';
import { WorldError } from '../doubles/world/World.js';
import type { SimulatedWorld } from './startSimulatedWorld.js';
import type { TimelineChange, TimelineEntry } from './Timeline.js';
import { readable, wireItemOfConnectorRequest, wireItemOfDelivery, wireItemOfEntry, type WireItem } from './wireView.js';

export type MemberKind = 'member' | 'guest' | 'external';
export const MEMBER_KINDS: readonly MemberKind[] = ['member', 'guest', 'external'];

export type TroubleKind = 'drop' | 'reauthorizationRequired' | 'subscriptionRemoved' | 'duplicate' | 'throttle';
export const TROUBLE_KINDS: readonly TroubleKind[] = ['drop', 'reauthorizationRequired', 'subscriptionRemoved', 'duplicate', 'throttle'];
/** What the armed 429 asks Herald to wait. */
export const THROTTLE_RETRY_AFTER_SECONDS = 1;
/** Troubles that wait for the next notification or Graph call; the page shows them as armed. */
export type ArmedTrouble = 'drop' | 'duplicate' | 'throttle';

export interface MemberView {
  userId: string;
  name: string;
  kind: MemberKind;
  /** The person's home organisation. */
  organisation: string;
  acting: boolean;
}

export interface ChatView {
  chatId: string;
  tenantId: string;
  organisation: string;
  topic: string | null;
  members: MemberView[];
  heraldInstalled: boolean;
  acting: { userId: string; name: string };
  armed: Record<ArmedTrouble, boolean>;
}

/** A Graph subscription as the Wire tab lists it (no clientState). */
export interface SubscriptionRow {
  id: string;
  resource: string;
  changeType: string;
  expirationDateTime: string;
  includeResourceData: boolean;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  /** The chat it covers; null for the tenant-wide installedToChats pair. */
  chatId: string | null;
}

export interface PlaygroundView {
  chat: ChatView;
  timeline: TimelineEntry[];
  wire: WireItem[];
  subscriptions: SubscriptionRow[];
}

export type PlaygroundEvent =
  | { type: 'chat'; chat: ChatView }
  | { type: 'timeline'; change: TimelineChange }
  | { type: 'wire'; item: WireItem }
  | { type: 'subscriptions'; subscriptions: SubscriptionRow[] };

export type PlaygroundListener = (event: PlaygroundEvent) => void;

export type PlaygroundErrorStatus = 400 | 404 | 409 | 502;

/** A control that cannot be carried out; `status` is the HTTP answer the page gets. */
export class PlaygroundError extends Error {
  constructor(
    readonly status: PlaygroundErrorStatus,
    message: string,
  ) {
    super(message);
    this.name = 'PlaygroundError';
  }
}

export interface PlaygroundControllerOptions {
  simulated: SimulatedWorld;
  /** Herald's PUBLIC_URL (its host is the Application ID URI host of the tab's SSO tokens). */
  publicUrl: string;
  clock?: () => Date;
  log?: Logger;
  /** Wire items kept for pages that connect later (default 500). */
  wireCapacity?: number;
}

/** What Teams does with "@Herald status": only messages that mention a bot reach it in a group chat. */
export function parseChatInput(text: string): { text: string; mentionsHerald: boolean } {
  const trimmed = text.trim();
  const match = /^(?:@herald\b|<at>herald<\/at>)[\s,:]*(.*)$/is.exec(trimmed);
  return match ? { text: (match[1] ?? '').trim(), mentionsHerald: true } : { text: trimmed, mentionsHerald: false };
}

export class PlaygroundController {
  private readonly clock: () => Date;
  private readonly listeners = new Set<PlaygroundListener>();
  private readonly wireItems: WireItem[] = [];
  private readonly wireCapacity: number;
  private wireSeq = 0;
  private readonly armed: Record<ArmedTrouble, boolean> = { drop: false, duplicate: false, throttle: false };
  /** The armed 429, once Graph answered it: the next call to the same address is Herald's retry. */
  private throttled: { method: string; path: string; at: number; retryAfterSeconds: number } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: PlaygroundControllerOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.wireCapacity = options.wireCapacity ?? 500;
    const { simulated } = options;
    this.unsubscribe.push(
      simulated.world.on((event) => {
        if (event.chat.id === simulated.chatId) this.emitChat();
      }),
      simulated.timeline.on((change) => this.emit({ type: 'timeline', change })),
      simulated.graphWorld.wire.on((entry) => this.onWireEntry(entry)),
      simulated.teams.channel.subscribe((delivery: Delivery) => this.addWire(wireItemOfDelivery(delivery, this.clock().toISOString()))),
      simulated.teams.connector.subscribe((event) => {
        if (event.type === 'request') this.addWire(wireItemOfConnectorRequest(event.request));
      }),
    );
  }

  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.listeners.clear();
  }

  on(listener: PlaygroundListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- views -------------------------------------------------------------------------------

  view(): PlaygroundView {
    return { chat: this.chat(), timeline: this.options.simulated.timeline.entries(), wire: [...this.wireItems], subscriptions: this.subscriptions() };
  }

  chat(): ChatView {
    const { simulated } = this.options;
    const chat = simulated.world.getChat(simulated.chatId);
    if (!chat) throw new PlaygroundError(404, 'the playground chat is gone');
    const acting = simulated.actingUser();
    const organisation = (tenantId: string) => simulated.world.getTenant(tenantId)?.displayName ?? 'another organisation';
    const members = chat.members.flatMap((m): MemberView[] => {
      const user = simulated.world.getUser(m.userId);
      if (!user) return [];
      return [{ userId: user.id, name: user.displayName, kind: this.kindOf(user), organisation: organisation(user.tenantId), acting: user.id === acting.id }];
    });
    return {
      chatId: chat.id,
      tenantId: chat.tenantId,
      organisation: organisation(chat.tenantId),
      topic: chat.topic,
      members,
      heraldInstalled: simulated.isHeraldInstalled(),
      acting: { userId: acting.id, name: acting.displayName },
      armed: { ...this.armed },
    };
  }

  subscriptions(): SubscriptionRow[] {
    const { simulated } = this.options;
    return simulated.graphWorld.graph.subscriptions({ clientId: simulated.app.clientId }).map((s) => ({
      id: s.id,
      resource: s.resource,
      changeType: s.changeType,
      expirationDateTime: s.expirationDateTime,
      includeResourceData: s.includeResourceData,
      notificationUrl: s.notificationUrl,
      lifecycleNotificationUrl: s.lifecycleNotificationUrl,
      chatId: s.target.chatId ?? null,
    }));
  }

  // ---- controls ----------------------------------------------------------------------------

  /** Install Herald: the app (and its RSC grants) lands in the chat, then Teams tells the bot. */
  installHerald(): Promise<ChatView> {
    return this.serially(async () => {
      const { simulated } = this.options;
      if (simulated.isHeraldInstalled()) throw new PlaygroundError(409, 'Herald is already in this chat');
      const by = simulated.actingUser();
      this.worldChange(by.displayName, () => simulated.world.installApp(simulated.chatId, simulated.app.teamsAppId));
      const deliveries = await this.toHerald(() =>
        simulated.teams.channel.installIntoChat({ chatId: simulated.chatId, tenantId: simulated.tenantId, by: simulated.teamsMember(by.id), topic: this.topic() }),
      );
      this.checkDeliveries(deliveries);
      return this.chat();
    });
  }

  /**
   * Remove Herald. Teams tells the bot first and then the app's grants go: Herald deletes its chat
   * subscriptions on the removal event, so Graph has nothing left to warn about.
   */
  removeHerald(): Promise<ChatView> {
    return this.serially(async () => {
      const { simulated } = this.options;
      if (!simulated.isHeraldInstalled()) throw new PlaygroundError(409, 'Herald is not in this chat');
      const by = simulated.actingUser();
      const deliveries = await this.toHerald(() =>
        simulated.teams.channel.removeFromChat({ chatId: simulated.chatId, tenantId: simulated.tenantId, by: simulated.teamsMember(by.id), topic: this.topic() }),
      );
      this.worldChange(by.displayName, () => simulated.world.uninstallApp(simulated.chatId, simulated.app.teamsAppId));
      this.checkDeliveries(deliveries);
      return this.chat();
    });
  }

  /** Add a new person: one of the chat's organisation, a B2B guest, or someone from another organisation. */
  addMember(input: { name: string; kind?: MemberKind }): Promise<MemberView> {
    return this.serially(async () => {
      const { simulated } = this.options;
      const name = input.name.trim().replace(/\s+/g, ' ');
      if (!name) throw new PlaygroundError(400, 'a name is needed');
      if (name.length > 80) throw new PlaygroundError(400, 'names are at most 80 characters');
      const kind = input.kind ?? 'member';
      if (!MEMBER_KINDS.includes(kind)) throw new PlaygroundError(400, `kind must be one of ${MEMBER_KINDS.join(', ')}`);
      const by = simulated.actingUser();
      const user = simulated.world.addUser({
        displayName: name,
        tenantId: kind === 'member' ? simulated.tenantId : simulated.otherTenantId,
        guest: kind === 'guest',
      });
      await this.botHearsFirst(
        () => this.worldChange(by.displayName, () => simulated.world.addMember(simulated.chatId, user.id)),
        // Teams also tells an installed bot about new people in a group chat, naming who added them.
        () => simulated.teams.channel.membersAdded({ chatId: simulated.chatId, members: [simulated.teamsMember(user.id)], by: simulated.teamsMember(by.id) }),
      );
      const member = this.chat().members.find((m) => m.userId === user.id);
      if (!member) throw new PlaygroundError(404, `${name} is not in the chat`);
      return member;
    });
  }

  removeMember(userId: string): Promise<ChatView> {
    return this.serially(async () => {
      const { simulated } = this.options;
      const chat = simulated.world.getChat(simulated.chatId);
      if (!chat?.members.some((m) => m.userId === userId)) throw new PlaygroundError(404, 'that person is not in the chat');
      if (chat.members.length <= 1) throw new PlaygroundError(409, 'a group chat keeps at least one person');
      const by = simulated.actingUser();
      const removedTeamsMember = simulated.teamsMember(userId);
      await this.botHearsFirst(
        () => this.worldChange(by.id === userId ? null : by.displayName, () => simulated.world.removeMember(simulated.chatId, userId)),
        // …and about people who leave or are removed, naming who removed them (themselves when they left).
        () => simulated.teams.channel.membersRemoved({ chatId: simulated.chatId, members: [removedTeamsMember], by: simulated.teamsMember(by.id) }),
      );
      return this.chat();
    });
  }

  rename(topic: string): Promise<ChatView> {
    return this.serially(async () => {
      const { simulated } = this.options;
      const next = topic.trim().replace(/\s+/g, ' ');
      if (next.length > 250) throw new PlaygroundError(400, 'a group name is at most 250 characters');
      if ((this.topic() ?? '') === next) throw new PlaygroundError(409, 'the chat already has that name');
      const by = simulated.actingUser();
      this.worldChange(by.displayName, () => simulated.world.renameChat(simulated.chatId, next || null));
      // Teams sends bots no event for a rename; later activities just carry the new name.
      simulated.teams.channel.setChatTopic(simulated.chatId, next || undefined);
      return this.chat();
    });
  }

  /** A chat message from the acting person; "@Herald …" reaches Herald as a message activity. */
  send(text: string): Promise<TimelineEntry> {
    return this.serially(async () => {
      const { simulated } = this.options;
      const parsed = parseChatInput(text);
      if (!parsed.text && !parsed.mentionsHerald) throw new PlaygroundError(400, 'the message is empty');
      if (text.length > 2000) throw new PlaygroundError(400, 'messages are at most 2000 characters');
      const from = simulated.actingUser();
      const entry = simulated.timeline.message({
        at: this.clock().toISOString(),
        fromUserId: from.id,
        fromName: from.displayName,
        text: parsed.mentionsHerald ? `@Herald ${parsed.text}`.trim() : parsed.text,
        mentionsHerald: parsed.mentionsHerald,
      });
      if (parsed.mentionsHerald && simulated.isHeraldInstalled()) {
        const delivery = await this.toHerald(() =>
          simulated.teams.channel.sendMessage({ chatId: simulated.chatId, from: simulated.teamsMember(from.id), text: parsed.text, mention: true, topic: this.topic() }),
        );
        this.checkDeliveries([delivery]);
      } else if (parsed.mentionsHerald) {
        simulated.timeline.system(this.clock().toISOString(), 'Herald is not in this chat, so nobody answers. Add Herald first.');
      }
      return entry;
    });
  }

  /**
   * The acting person pressed an `Action.Execute` button on one of Herald's cards: Teams sends the bot an
   * `adaptiveCard/action` invoke and shows that person the card the bot answers with.
   */
  pressCardAction(input: { activityId: string; verb: string; data: Record<string, unknown> }): Promise<{ card: unknown }> {
    return this.serially(async () => {
      const { simulated } = this.options;
      if (!simulated.isHeraldInstalled()) throw new PlaygroundError(409, 'Herald is not in this chat');
      const from = simulated.actingUser();
      const delivery = await this.toHerald(() =>
        simulated.teams.channel.pressCardAction({ chatId: simulated.chatId, from: simulated.teamsMember(from.id), topic: this.topic(), replyToId: input.activityId, verb: input.verb, data: input.data }),
      );
      this.checkDeliveries([delivery]);
      const answer = delivery.body as { type?: unknown; value?: unknown } | null;
      if (answer?.type !== 'application/vnd.microsoft.card.adaptive') throw new PlaygroundError(502, 'Herald answered the card action without a card');
      return { card: answer.value };
    });
  }

  setActing(userId: string): Promise<ChatView> {
    return this.serially(async () => {
      try {
        this.options.simulated.setActingUser(userId);
      } catch {
        throw new PlaygroundError(404, 'that person is not in the chat');
      }
      this.emitChat();
      return this.chat();
    });
  }

  /** Graph trouble, through the Graph double's fault switches. */
  trouble(kind: TroubleKind): Promise<{ kind: TroubleKind; affected: number }> {
    return this.serially(async () => {
      const { simulated } = this.options;
      const graph = simulated.graphWorld.graph;
      const chatSubscriptions = () => this.subscriptions().filter((s) => s.chatId === simulated.chatId);
      let affected = 1;
      switch (kind) {
        case 'drop':
          graph.dropNextNotification(simulated.chatId);
          this.armed.drop = true;
          break;
        case 'duplicate':
          graph.duplicateNextDelivery(1);
          this.armed.duplicate = true;
          break;
        case 'throttle':
          graph.failNextRequests({ count: 1, status: 429, retryAfterSeconds: THROTTLE_RETRY_AFTER_SECONDS });
          this.armed.throttle = true;
          break;
        case 'reauthorizationRequired':
        case 'subscriptionRemoved': {
          const subs = chatSubscriptions();
          if (subs.length === 0) throw new PlaygroundError(409, 'Herald has no subscriptions for this chat (is it installed?)');
          affected = subs.filter((s) => graph.sendLifecycleEvent(s.id, kind)).length;
          break;
        }
        default:
          throw new PlaygroundError(400, `unknown trouble "${String(kind)}"; one of ${TROUBLE_KINDS.join(', ')}`);
      }
      this.emitChat();
      return { kind, affected };
    });
  }

  /** A Teams SSO token for the companion tab, as Teams' token service would hand it to a chat member. */
  async ssoToken(userId: string): Promise<string> {
    const { simulated } = this.options;
    const user = simulated.world.getUser(userId);
    if (!user) throw new PlaygroundError(404, 'no such person');
    return simulated.graphWorld.login.signUserToken({
      // A guest signs in to the inviting tenant; everyone else to their own.
      tenantId: user.guest ? simulated.tenantId : user.tenantId,
      clientId: simulated.app.clientId,
      apiHost: new URL(this.options.publicUrl).host,
      oid: user.id,
      name: user.displayName,
      preferredUsername: user.mail ?? undefined,
    });
  }

  // ---- internals ---------------------------------------------------------------------------

  private kindOf(user: WorldUser): MemberKind {
    if (user.guest) return 'guest';
    return user.tenantId === this.options.simulated.tenantId ? 'member' : 'external';
  }

  private topic(): string | undefined {
    const { simulated } = this.options;
    return simulated.world.getChat(simulated.chatId)?.topic ?? undefined;
  }

  private worldChange<T>(actorName: string | null, change: () => T): T {
    try {
      return this.options.simulated.asActor(actorName, change);
    } catch (error) {
      if (error instanceof WorldError) throw new PlaygroundError(error.code === 'NotFound' ? 404 : error.code === 'Conflict' ? 409 : 400, error.message);
      throw error;
    }
  }

  /** Runs a delivery to Herald; an unreachable Herald is a 502 for the page, not a crash. */
  /**
   * A membership change in the world, told to an installed bot before Graph's notifications go out: in
   * Teams the bot event arrives within a second while Graph's notification often takes several, and the
   * playground should show the usual case every time (the bot's event names who did it).
   */
  private async botHearsFirst(change: () => void, tellBot: () => Promise<Delivery>): Promise<void> {
    const { simulated } = this.options;
    if (!simulated.isHeraldInstalled()) {
      change();
      return;
    }
    const graph = simulated.graphWorld.graph;
    graph.holdDeliveries();
    try {
      change();
      this.checkDeliveries([await this.toHerald(tellBot)]);
    } finally {
      graph.releaseDeliveries();
    }
  }

  private async toHerald<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      this.options.log?.warn({ err: error }, 'playground: delivering an activity to Herald failed');
      throw new PlaygroundError(502, `Herald could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private checkDeliveries(deliveries: Delivery[]): void {
    const failed = deliveries.find((d) => d.status < 200 || d.status >= 300);
    if (failed) throw new PlaygroundError(502, `Herald answered ${failed.status} to the ${failed.activity.type} activity`);
  }

  /** Controls run one at a time, like clicks in one Teams client. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private onWireEntry(entry: WireEntry): void {
    let armedChanged = false;
    if (entry.kind === 'suppressed' && entry.reason === 'dropped' && this.armed.drop) {
      this.armed.drop = false;
      armedChanged = true;
    }
    if (entry.kind === 'notification' && entry.duplicate && this.armed.duplicate) {
      this.armed.duplicate = false;
      armedChanged = true;
    }
    let note: string | undefined;
    if (entry.kind === 'graphRequest' && entry.status === 429 && this.armed.throttle) {
      this.armed.throttle = false;
      armedChanged = true;
      this.throttled = { method: entry.method, path: entry.path, at: Date.parse(entry.at), retryAfterSeconds: THROTTLE_RETRY_AFTER_SECONDS };
      note = `throttled, Retry-After: ${THROTTLE_RETRY_AFTER_SECONDS} s`;
      this.options.simulated.timeline.system(
        entry.at,
        `Graph answered Herald's ${entry.method} ${readable(entry.path)} with 429 Too Many Requests (Retry-After: ${THROTTLE_RETRY_AFTER_SECONDS} s, as armed). Herald must wait before it asks again.`,
      );
    } else if (entry.kind === 'graphRequest' && this.throttled && entry.method === this.throttled.method && entry.path === this.throttled.path) {
      const waited = ((Date.parse(entry.at) - this.throttled.at) / 1000).toFixed(1);
      this.throttled = null;
      note = `retry after 429, ${waited} s later`;
      this.options.simulated.timeline.system(entry.at, `Herald retried ${entry.method} ${readable(entry.path)} ${waited} s later: Graph answered ${entry.status}.`);
    }
    this.addWire(wireItemOfEntry(entry, note));
    if (entry.kind === 'subscription') this.emit({ type: 'subscriptions', subscriptions: this.subscriptions() });
    if (armedChanged) this.emitChat();
  }

  private addWire(item: Omit<WireItem, 'id'>): void {
    const full: WireItem = { id: `w${++this.wireSeq}`, ...item };
    this.wireItems.push(full);
    if (this.wireItems.length > this.wireCapacity) this.wireItems.splice(0, this.wireItems.length - this.wireCapacity);
    this.emit({ type: 'wire', item: full });
  }

  private emitChat(): void {
    let chat: ChatView;
    try {
      chat = this.chat();
    } catch (error) {
      this.options.log?.warn({ err: error }, 'playground: chat view failed');
      return;
    }
    this.emit({ type: 'chat', chat });
  }

  private emit(event: PlaygroundEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.options.log?.warn({ err: error }, 'playground: a live view listener failed');
      }
    }
  }
}
