import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { InstalledEvent, SettingsChangedEvent, UninstalledEvent } from '../events/HeraldEvents.js';
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
import { actorName, personOf, type ApplyOutcome, type ApplyResult, type ChatStateUpdater } from './ChatStateUpdater.js';
import { hasUncertain, MembershipOrder, settleUncertain } from './MembershipOrder.js';
import { settingsLine, summaryLines } from './formatSummary.js';
import { messagesFor } from '../i18n/Messages.js';
import { KeyedQueue } from '../kernel/KeyedQueue.js';
import { netChanges, selectAnnounced } from './netChanges.js';
import { announceLockKey, type PostQueue, type PostTargets } from './PostQueue.js';
import { SummaryWindow } from './SummaryWindow.js';
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

  /** Applies one change event; resolves once the state and the chat's window (or its post) are stored. */
  async handleChange(event: ChangeEvent): Promise<void> {
    if (event.kind === 'messageCreated') return;
    await this.exclusive(event.chatId, async () => {
      const { store, log, registry } = this.deps;
      const empty = () => emptyChatState(event.chatId, event.tenantId);
      const result = this.applyOrdered(event, (await store.chats.get(event.chatId)) ?? empty());
      this.changeStats[result.outcome]++;
      log.debug({ chatId: event.chatId, kind: event.kind, source: event.source, outcome: result.outcome, reason: result.reason }, 'change applied');
      if (result.changes.length === 0) await this.completedByOtherSource(event, result.state);
      if (result.outcome !== 'applied') return;
      if (result.changes.length > 0 && result.state.settings.windowMs === 0 && !(await this.window.get(event.chatId))) {
        // Posting at once: names first, then state, timeline and post in one storage write. Nothing is
        // stored before that write; the notification pipeline keeps the batch until this handler is done.
        const present = hasUncertain(result.changes) ? await this.currentMembers(result.state) : null;
        const named = await this.withNames(result.state, await registry.get(event.chatId), result.changes);
        // Re-applied to the current state: it may have moved on while the names were looked up.
        const again = this.applyOrdered(event, (await store.chats.get(event.chatId)) ?? empty());
        if (again.outcome !== 'applied') return;
        const settled = this.settle(again.state, withNamesOf(again.changes, named), present);
        await this.commit(event.chatId, settled.changes, settled.state, false);
        return;
      }
      // Both writes start in this tick: the state and the window it feeds are stored together.
      const writes: Promise<unknown>[] = [store.chats.put(event.chatId, result.state)];
      if (result.changes.length > 0) writes.push(this.window.add(event.chatId, result.changes, result.state.settings.windowMs));
      await Promise.all(writes);
      // Name newcomers now, while they are in the chat: by the time the window closes they may have left.
      if (result.changes.some((c) => c.kind === 'joined')) this.track(this.learnNames(event.chatId, result.changes));
    });
  }

  /**
   * A report of a change the other source made first completes it while its window is open (a change
   * already posted stays as posted): a bot event names who made a change Graph reported; Graph's item
   * says whether someone Teams' bot event reported is a guest or from another organization (the bot event
   * knows it only when the Bot Connector could be read), so marks and "guests only" do not depend on
   * which source came first.
   */
  private async completedByOtherSource(event: ChangeEvent, state: ChatState): Promise<void> {
    if ((event.kind !== 'memberAdded' && event.kind !== 'memberRemoved') || !event.member.userId) return;
    const userId = event.member.userId;
    const kind = event.kind === 'memberAdded' ? 'joined' : 'left';
    if (event.source === 'bot') {
      const by = actorName(state, event.actor, userId);
      if (by) await this.window.amendPerson(event.chatId, userId, kind, (person) => (person.by ? null : { ...person, by }));
      return;
    }
    const entry = state.roster[userId];
    if (kind !== 'joined' || !entry?.present || !entry.tenantId) return;
    const { guest, external } = personOf(entry, state.tenantId);
    await this.window.amendPerson(event.chatId, userId, kind, (person) => (person.guest === guest && person.external === external ? null : { ...person, guest, external }));
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
   * `chat:` locks; the post queue sends under this same key (see `announceLockKey`).
   */
  private exclusive<T>(chatId: string, task: () => Promise<T>): Promise<T> {
    return this.serial.run(chatId, () => this.deps.store.locks.run(announceLockKey(chatId), task));
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
      const present = hasUncertain(pending.changes) ? await this.currentMembers(state) : null;
      const changes = await this.withNames(state, await registry.get(chatId), pending.changes);
      const current = await store.chats.get(chatId);
      const settled = current ? this.settle(current, changes, present) : { state: current, changes };
      const posted = await this.commit(chatId, settled.changes, settled.state, true);
      log.debug({ chatId, changes: changes.length, posted }, 'summary window closed');
    });
  }

  /**
   * Stores what changes lead to, in one storage write (every write starts in this tick): the chat's
   * state with the names learnt, the timeline, the window closed, and the post queued when the chat's
   * settings ask for one. `state` must have been read inside the chat's serial section. Resolves whether a post was queued.
   */
  private async commit(chatId: string, changes: AnnouncementChange[], state: ChatState | undefined, closeWindow: boolean): Promise<boolean> {
    const { store, registry, queue } = this.deps;
    const installed = (await registry.get(chatId))?.status === 'installed';
    const announced = state && installed ? selectAnnounced(netChanges(changes), state.settings) : null;
    const lines = announced ? summaryLines(announced, messagesFor(state?.settings.language)) : [];
    const writes: Promise<unknown>[] = changes.map((change) => store.history.append(historyEntry(chatId, change)));
    if (state) writes.push(store.chats.put(chatId, rememberNames(state, changes)));
    if (closeWindow) writes.push(this.window.close(chatId));
    if (lines.length > 0) writes.push(queue.enqueue(chatId, buildAnnouncementActivity(lines, state && announced ? joinWelcome(state.settings, announced.joined) : undefined)));
    await Promise.all(writes);
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
    const { resolver } = this.deps;
    const known = (userId: string, payloadName: string | null) =>
      payloadName ?? state.roster[userId]?.displayName ?? resolver.cached(state.tenantId, userId)?.displayName ?? null;
    const missing = new Set<string>();
    for (const change of changes) {
      if (isPersonChange(change) && known(change.person.userId, change.person.displayName) === null) missing.add(change.person.userId);
    }
    const resolved = missing.size > 0 ? await resolver.resolve({ tenantId: state.tenantId, chatId: state.chatId, installation }, [...missing]) : new Map<string, PersonInfo>();
    return changes.map((change) => {
      if (!isPersonChange(change)) return change;
      const info = resolved.get(change.person.userId);
      const displayName = known(change.person.userId, change.person.displayName) ?? info?.displayName ?? null;
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

/** The re-applied changes, with the names (and marks) looked up for the first application. */
function withNamesOf(changes: readonly AnnouncementChange[], named: readonly AnnouncementChange[]): AnnouncementChange[] {
  const people = new Map(named.filter(isPersonChange).map((c) => [c.person.userId, c.person]));
  return changes.map((change) => {
    if (!isPersonChange(change)) return change;
    const known = people.get(change.person.userId);
    return known ? { ...change, person: { ...change.person, displayName: change.person.displayName ?? known.displayName, guest: known.guest, external: known.external } } : change;
  });
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
