import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatChangesComingEvent, ChatChangesEvent, InstalledEvent, SettingsChangedEvent, UninstalledEvent } from '../events/HeraldEvents.js';
import type { ChangeEvent } from '../model/changeEvents.js';
import type { ChatSettings, ChatState } from '../model/chat.js';
import type { HistoryEntry } from '../model/history.js';
import type { Installation } from '../model/installation.js';
import type { ConnectorMemberDirectory } from '../names/ConnectorMembers.js';
import type { ChatMemberReader, DisplayNameResolver, PersonInfo } from '../names/DisplayNameResolver.js';
import { emptyChatState } from '../model/chat.js';
import type { Store } from '../storage/Store.js';
import { isPersonChange, type AnnouncementChange, type PersonRef } from './AnnouncementChange.js';
import { buildAnnouncementActivity, type JoinWelcome } from './buildAnnouncementCard.js';
import type { ApplyOutcome, ApplyResult, ChatStateUpdater } from './ChatStateUpdater.js';
import { hasUncertain, MembershipOrder, settleUncertain } from './MembershipOrder.js';
import { settingsLine, summaryLines } from './formatSummary.js';
import { messagesFor } from '../i18n/Messages.js';
import { KeyedQueue } from '../kernel/KeyedQueue.js';
import { netChanges, selectAnnounced } from './netChanges.js';
import { type PostQueue, type PostTargets, type StoreUnit } from './PostQueue.js';
import { SummaryWindow } from './SummaryWindow.js';
import { chatLockKey } from '../events/ChatUnits.js';
import { completedByOtherSource, notRecordedSince } from './reportedChanges.js';
import type { Timers } from '../kernel/timers.js';

export interface AnnouncementServiceDeps {
  store: Store;
  registry: PostTargets;
  clock: () => Date;
  log: Logger;
  timers: Timers;
  updater: ChatStateUpdater;
  resolver: DisplayNameResolver;
  queue: PostQueue;
  /** Bot Connector roster reads, to learn names when Herald is installed. */
  connector?: ConnectorMemberDirectory;
  /** Graph's member list: the current membership when the order of two changes of one person is ambiguous. */
  members?: ChatMemberReader;
  order?: MembershipOrder;
  /** Period of the sweep for due windows this instance has no timer for (see SummaryWindow). */
  windowSweepMs?: number;
}

export type ChangeStats = Record<ApplyOutcome, number>;

/**
 * Turns change events into announcements: applies each event to the chat's stored state (per chat, in
 * order), collects real changes in the chat's summary window, and when the window closes names the
 * people, records the timeline, nets the changes and queues one post.
 */
export class AnnouncementService {
  readonly window: SummaryWindow;
  readonly changeStats: ChangeStats = { applied: 0, unchanged: 0, stale: 0, ignored: 0 };
  private readonly serial = new KeyedQueue();
  private readonly background = new Set<Promise<unknown>>();
  private readonly order: MembershipOrder;

  constructor(private readonly deps: AnnouncementServiceDeps) {
    this.order = deps.order ?? new MembershipOrder();
    this.window = new SummaryWindow({
      store: deps.store,
      clock: deps.clock,
      timers: deps.timers,
      onDue: (chatId) => this.track(this.flush(chatId, false)),
      sweepMs: deps.windowSweepMs,
    });
  }

  async start(): Promise<void> {
    await this.window.restore();
    await this.deps.queue.start();
  }

  async stop(): Promise<void> {
    this.window.stop();
    await this.idle();
    await this.deps.queue.stop();
  }

  /** Resolves when all work started so far (state updates, window flushes, sends in flight) is done. */
  async idle(): Promise<void> {
    do {
      await Promise.allSettled([...this.background]);
      await this.serial.idle();
      await this.deps.queue.idle();
    } while (this.background.size > 0);
  }

  /**
   * Applies a chat's changes inside its unit of work (ChatUnits: the chat's lock and transaction), in
   * order, each against the state the one before left: the state is read and written once, the window
   * (or, at window 0, the post) once, everything through `tx`. Nothing here waits for anything but the
   * store: names Herald does not know yet are looked up when the window closes, outside the transaction.
   */
  async handleChanges(unit: ChatChangesEvent): Promise<void> {
    const { tx, chatId, tenantId } = unit;
    const events = unit.changes.filter((event) => event.kind !== 'messageCreated');
    if (events.length === 0) return;
    const { log } = this.deps;
    let state = (await tx.chats.get(chatId)) ?? emptyChatState(chatId, tenantId);
    const window = await tx.pendingSummaries.get(chatId);
    const before: unknown[] = window?.changes ?? [];
    let collected = before;
    const fresh: AnnouncementChange[] = [];
    let applied = false;
    for (const event of events) {
      const result = this.applyOrdered(event, state);
      this.changeStats[result.outcome]++;
      log.debug({ chatId, kind: event.kind, source: event.source, outcome: result.outcome, reason: result.reason }, 'change applied');
      if (result.changes.length === 0) collected = completedByOtherSource(event, result.state, collected) ?? collected;
      if (result.outcome !== 'applied') continue;
      applied = true;
      state = result.state;
      collected = [...collected, ...result.changes];
      fresh.push(...result.changes);
    }
    // While the chat's earlier posts still wait under Teams' limits, what comes meanwhile is summarised in one post.
    const windowMs = Math.max(state.settings.windowMs, this.deps.queue.busyFor(chatId) ?? 0);
    if (!window && fresh.length > 0 && windowMs === 0 && collected.length === fresh.length) {
      // Posting at once, when everyone is named already and no order is in doubt: the state, the
      // timeline and the post are stored with the changes, in this transaction.
      const named = hasUncertain(fresh) ? null : this.namedLocally(state, fresh);
      if (named) {
        await this.commit(unit, chatId, named, state, false);
        return;
      }
    }
    if (applied) await tx.chats.put(chatId, state);
    // Name newcomers now, while they are in the chat: by the time the window closes they may have left.
    if (fresh.some((c) => c.kind === 'joined')) unit.afterCommit(() => this.track(this.learnNames(chatId, fresh)));
    if (collected === before) return;
    // A window due now (window 0 with someone to name) closes as soon as this has committed.
    await this.window.keep(unit, chatId, collected, windowMs, window);
  }

  /**
   * Before a chat's unit: looks up the names of people joining whom Herald cannot name yet (the Bot
   * Connector, then Graph), holding no lock, so the unit can post at once. Graph's notifications carry
   * no names (reference §10.6).
   */
  async prepare(event: ChatChangesComingEvent): Promise<void> {
    const { resolver, registry } = this.deps;
    const unknown = event.changes.flatMap((change) =>
      change.kind === 'memberAdded' && change.member.userId && !change.member.displayName && !resolver.cached(event.tenantId, change.member.userId)?.displayName ? [change.member.userId] : [],
    );
    if (unknown.length === 0) return;
    await resolver.resolve({ tenantId: event.tenantId, chatId: event.chatId, installation: await registry.get(event.chatId) }, unknown);
  }

  /** Settings changed from the tab are told to the chat (chat commands are answered there already). */
  async handleSettingsChanged(event: SettingsChangedEvent): Promise<void> {
    if (event.source !== 'tab' || event.changes.length === 0) return;
    await this.exclusive(event.chatId, async () => {
      if ((await this.deps.registry.get(event.chatId))?.status !== 'installed') return;
      const language = (await this.deps.store.chats.get(event.chatId))?.settings.language;
      await this.deps.queue.enqueue(event.chatId, buildAnnouncementActivity([settingsLine(event.by, event.changes, messagesFor(language))]));
    });
  }

  /** Learns the names of the chat's members in the background (installing must not wait for it). */
  handleInstalled(event: InstalledEvent): void {
    this.track(this.primeNames(event.installation));
  }

  /** Herald left the chat: record what the open window collected, post nothing, drop queued posts. */
  async handleUninstalled(event: UninstalledEvent): Promise<void> {
    await this.flush(event.chatId, true);
    await this.deps.queue.dropChat(event.chatId);
  }

  /**
   * Runs one chat's work alone: in this instance (`serial`, which `idle` waits for) and across every
   * instance on the store (the chat's key lock), so state read inside is current and a change two
   * instances both heard of is applied once. The key is apart from the subscription manager's
   * `chat:` locks; the post queue sends under this same key (see `chatLockKey`).
   */
  private exclusive<T>(chatId: string, task: () => Promise<T>): Promise<T> {
    return this.serial.run(chatId, () => this.deps.store.locks.run(chatLockKey(chatId), task));
  }

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((error: unknown) => this.deps.log.error({ err: error }, 'announcement work failed'));
    this.background.add(guarded);
    void guarded.finally(() => this.background.delete(guarded));
  }

  private flush(chatId: string, force: boolean): Promise<void> {
    return this.exclusive(chatId, async () => {
      const { store, registry, log } = this.deps;
      const pending = await this.window.get(chatId);
      if (!pending) return;
      if (!force && !this.window.isDue(pending)) {
        await this.window.rearm(chatId);
        return;
      }
      const state = await store.chats.get(chatId);
      if (!state) {
        await this.window.close(chatId);
        return;
      }
      // Graph and the Bot Connector are asked outside the transaction; nothing else changes the chat
      // meanwhile (its lock is held).
      const present = hasUncertain(pending.changes) ? await this.currentMembers(state) : null;
      const changes = await this.withNames(state, await registry.get(chatId), pending.changes);
      const posted = await this.inUnit(async (unit) => {
        const current = await unit.tx.chats.get(chatId);
        const settled = current ? this.settle(current, notRecordedSince(current, changes), present) : { state: current, changes };
        return this.commit(unit, chatId, settled.changes, settled.state, true);
      });
      log.debug({ chatId, changes: changes.length, posted }, 'summary window closed');
    });
  }

  /** Runs `work` in one transaction, then what it left for after the commit. */
  private async inUnit<T>(work: (unit: StoreUnit) => Promise<T>): Promise<T> {
    let after: Array<() => void> = [];
    const result = await this.deps.store.transaction((tx) => {
      after = [];
      return work({ tx, afterCommit: (fn) => void after.push(fn) });
    });
    for (const fn of after) fn();
    return result;
  }

  /**
   * Stores what changes lead to, through the unit's transaction: the chat's state with the names learnt,
   * the timeline, the window closed, and the post queued when the chat's settings ask for one. `state`
   * must have been read inside the chat's lock. Resolves whether a post was queued.
   */
  private async commit(unit: StoreUnit, chatId: string, changes: AnnouncementChange[], state: ChatState | undefined, closeWindow: boolean): Promise<boolean> {
    const { tx } = unit;
    const installed = (await this.deps.registry.get(chatId, tx))?.status === 'installed';
    const announced = state && installed ? selectAnnounced(netChanges(changes), state.settings) : null;
    const lines = announced ? summaryLines(announced, messagesFor(state?.settings.language)) : [];
    if (changes.length > 0) await tx.history.appendMany(changes.map((change) => historyEntry(chatId, change)));
    if (state) await tx.chats.put(chatId, rememberNames(state, changes));
    if (closeWindow) await this.window.close(chatId, unit);
    if (lines.length > 0) await this.deps.queue.enqueue(chatId, buildAnnouncementActivity(lines, state && announced ? joinWelcome(state.settings, announced.joined) : undefined), unit);
    return lines.length > 0;
  }

  /** Applies an event and marks changes whose order against an earlier report of the same person is ambiguous. */
  private applyOrdered(event: ChangeEvent, state: ChatState): ApplyResult {
    const result = this.deps.updater.apply(state, event);
    if (result.noOp) this.order.noteNoOp(event.chatId, result.noOp.userId, result.noOp.kind, event.receivedAt);
    // Teams tells the bot a chat's membership changes in order, so a bot event is never ambiguous.
    if (event.source === 'bot') return result;
    return result.changes.length > 0 ? { ...result, changes: this.order.mark(event.chatId, result.changes, event.receivedAt) } : result;
  }

  /** Graph's current members of the chat (lower-case user ids), or null when they cannot be read. */
  private async currentMembers(state: ChatState): Promise<Set<string> | null> {
    const { members, log } = this.deps;
    if (!members) return null;
    try {
      const list = await members.listChatMembers(state.tenantId, state.chatId);
      return new Set(list.map((m) => m.userId?.toLowerCase()).filter((id): id is string => Boolean(id)));
    } catch (error) {
      log.warn({ err: error, chatId: state.chatId }, 'could not read the current members to settle an ambiguous order; announcing as reported');
      return null;
    }
  }

  /** With the current membership known: only what is true now is said about people whose order was ambiguous. */
  private settle(state: ChatState, changes: AnnouncementChange[], present: Set<string> | null): { state: ChatState; changes: AnnouncementChange[] } {
    if (!present) return { state, changes };
    const settled = settleUncertain(state, changes, present, this.deps.clock().toISOString());
    this.deps.log.info({ chatId: state.chatId, reported: changes.length, announced: settled.changes.length }, 'ambiguous membership order settled from Graph');
    return settled;
  }

  /** Fills in names: payload, then roster (people who left keep theirs), then the resolver. */
  private async withNames(state: ChatState, installation: Installation | undefined, changes: AnnouncementChange[]): Promise<AnnouncementChange[]> {
    const missing = this.unnamed(state, changes);
    const resolved = missing.size > 0 ? await this.deps.resolver.resolve({ tenantId: state.tenantId, chatId: state.chatId, installation }, [...missing]) : new Map<string, PersonInfo>();
    return this.named(state, changes, resolved);
  }

  /** The changes named from what Herald knows without asking anyone; null when someone is not. */
  private namedLocally(state: ChatState, changes: AnnouncementChange[]): AnnouncementChange[] | null {
    return this.unnamed(state, changes).size > 0 ? null : this.named(state, changes, new Map());
  }

  private knownName(state: ChatState, userId: string, payloadName: string | null): string | null {
    return payloadName ?? state.roster[userId]?.displayName ?? this.deps.resolver.cached(state.tenantId, userId)?.displayName ?? null;
  }

  private unnamed(state: ChatState, changes: readonly AnnouncementChange[]): Set<string> {
    const missing = new Set<string>();
    for (const change of changes) {
      if (isPersonChange(change) && this.knownName(state, change.person.userId, change.person.displayName) === null) missing.add(change.person.userId);
    }
    return missing;
  }

  private named(state: ChatState, changes: readonly AnnouncementChange[], resolved: ReadonlyMap<string, PersonInfo>): AnnouncementChange[] {
    const { resolver } = this.deps;
    return changes.map((change) => {
      if (!isPersonChange(change)) return change;
      const info = resolved.get(change.person.userId);
      const displayName = this.knownName(state, change.person.userId, change.person.displayName) ?? info?.displayName ?? null;
      if (displayName) resolver.remember(state.tenantId, change.person.userId, { displayName, tenantId: info?.tenantId ?? null, guest: change.person.guest });
      const guest = change.person.guest || Boolean(info?.guest);
      const external = !guest && (change.person.external || Boolean(info?.tenantId && info.tenantId.toLowerCase() !== state.tenantId.toLowerCase()));
      return { ...change, person: { ...change.person, displayName, guest, external } };
    });
  }

  /** Looks up the names of people who joined and keeps them in the roster (not serialised with the chat's events). */
  private async learnNames(chatId: string, changes: AnnouncementChange[]): Promise<void> {
    const { store, registry } = this.deps;
    const state = await store.chats.get(chatId);
    if (!state) return;
    const named = await this.withNames(state, await registry.get(chatId), changes.filter((c) => c.kind === 'joined'));
    // An atomic update: the chat's events may change its state meanwhile (this is not serialised with them).
    await store.chats.update(chatId, (current) => current && rememberNames(current, named));
  }

  /**
   * Learns the names of the people already in a chat from the Bot Connector roster, so that someone
   * who later leaves (when no source can name them any more) is still named. The chat's baseline
   * itself (roster presence, topic) belongs to the subscription manager; this never creates state.
   */
  private async primeNames(installation: Installation): Promise<void> {
    const { store, resolver, connector, log } = this.deps;
    if (!connector) return;
    const { chatId, tenantId } = installation;
    let members;
    try {
      members = await connector.listMembers(installation);
    } catch (error) {
      log.warn({ err: error, chatId }, 'could not read the chat roster for names');
      return;
    }
    for (const m of members) resolver.remember(tenantId, m.userId, { displayName: m.displayName, tenantId: m.tenantId, guest: m.guest });
    const named = new Map(members.filter((m) => m.displayName).map((m) => [m.userId, m.displayName as string]));
    // An atomic update: nothing else can change the chat in between.
    await store.chats.update(chatId, (current) => {
      if (!current) return current;
      let roster = current.roster;
      for (const entry of Object.values(roster)) {
        const name = named.get(entry.userId);
        if (!entry.displayName && name) roster = { ...roster, [entry.userId]: { ...entry, displayName: name } };
      }
      return roster === current.roster ? current : { ...current, roster };
    });
    log.debug({ chatId, members: members.length }, 'names of chat members learnt');
  }
}

/** What the chat's settings add to an announcement of people joining (nothing when nobody joined). */
function joinWelcome(settings: ChatSettings, joined: readonly PersonRef[]): JoinWelcome | undefined {
  if (joined.length === 0) return undefined;
  const line = settings.welcomeLine?.trim() || null;
  // Only people Herald can name: a mention needs the name Teams shows.
  const mention = settings.mentionNewcomers ? joined.flatMap((p) => (p.displayName ? [{ id: p.userId, name: p.displayName }] : [])) : [];
  return line || mention.length > 0 ? { line, mention } : undefined;
}

function rememberNames(state: ChatState, changes: readonly AnnouncementChange[]): ChatState {
  let roster = state.roster;
  for (const change of changes) {
    if (!isPersonChange(change) || !change.person.displayName) continue;
    const entry = roster[change.person.userId];
    if (entry && !entry.displayName) roster = { ...roster, [entry.userId]: { ...entry, displayName: change.person.displayName } };
  }
  return roster === state.roster ? state : { ...state, roster };
}

function historyEntry(chatId: string, change: AnnouncementChange): HistoryEntry {
  if (change.kind === 'renamed') {
    // Teams sends bots no rename event in group chats: a rename is always Graph's.
    return { id: randomUUID(), chatId, at: change.at, kind: 'renamed', from: change.from, to: change.to, source: 'graph' };
  }
  const { person } = change;
  return {
    id: randomUUID(), chatId, at: change.at, kind: change.kind, actor: person.displayName, userId: person.userId, guest: person.guest, external: person.external,
    // Who added or removed them, as the chat's announcement says it ("Ada removed Grace", not "Grace left").
    ...(person.by ? { by: person.by } : {}),
    ...(change.source ? { source: change.source } : {}),
  };
}
