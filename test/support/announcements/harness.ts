import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attachment } from 'botbuilder';
import type { Announcements } from '../../../src/announcements/wireAnnouncements.js';
import { createHerald, type HeraldApp } from '../../../src/app/createHerald.js';
import { testNotificationCertificate } from '../keys/testCredentials.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import type { ChangeEvent, ChatProperties } from '../../../src/model/changeEvents.js';
import type { ChatMember } from '../../../src/model/chat.js';
import { emptyChatState } from '../../../src/model/chat.js';
import {
  newGroupChatId,
  newTeamsMember,
  startTeamsDouble,
  type RecordedPost,
  type TeamsDouble,
  type TeamsMember,
} from '../../../sim/doubles/teams/index.js';

export const TENANT = '7d3c2a10-0000-4000-8000-000000000001';
export const OTHER_TENANT = '7d3c2a10-0000-4000-8000-0000000000ff';

/** Herald (as `npm start` builds it, BOT_ID blank) talking to the Teams double, with a data dir of its own. */
export interface Harness {
  double: TeamsDouble;
  herald: HeraldApp;
  announcements: Announcements;
  dataDir: string;
  url: string;
  /** Stops Herald and starts a new one on the same data dir (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function startHerald(dataDir: string): Promise<{ herald: HeraldApp; url: string; announcements: Announcements }> {
  // BOT_ID blank: no Bot Framework auth (botbuilder refuses a blank id for SingleTenant).
  const certificate = await testNotificationCertificate();
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', BOT_TYPE: 'MultiTenant', NOTIFICATION_CERT_FILE: certificate.certFile, NOTIFICATION_KEY_FILE: certificate.keyFile });
  const herald = await createHerald(config, silentLogger());
  const url = await herald.start();
  const announcements = herald.modules.announcements;
  assert.ok(announcements, 'announcements are wired into createHerald');
  return { herald, url, announcements };
}

/** `locale`: the Teams client language of everyone in the double (activity.locale and clientInfo); en-US by default. */
export async function startHarness(options: { locale?: string } = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-announce-'));
  const double = await startTeamsDouble({ botAppId: '', tenantId: TENANT, locale: options.locale });
  const started = await startHerald(dataDir);
  double.channel.setBotEndpoint(`${started.url}/api/messages`);
  const harness: Harness = {
    double,
    dataDir,
    ...started,
    async restart() {
      await harness.herald.stop();
      const again = await startHerald(dataDir);
      Object.assign(harness, again);
      double.channel.setBotEndpoint(`${again.url}/api/messages`);
    },
    async close() {
      await harness.herald.stop();
      await double.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * A group chat with people in the connector's roster, Herald installed by the first of them. Unless
 * `baseline` is false, the chat's state is then seeded as the subscription manager's baseline (Graph
 * reads of the chat and its members) leaves it; these tests run without Graph.
 */
export async function installChat(h: Harness, people: TeamsMember[], topic?: string, options: { baseline?: boolean } = {}): Promise<string> {
  const chatId = newGroupChatId();
  h.double.directory.setMembers(chatId, people);
  await h.double.channel.installIntoChat({ chatId, tenantId: TENANT, by: people[0], topic });
  await h.announcements.idle();
  if (options.baseline !== false) {
    const at = new Date(Date.now() - 60_000).toISOString();
    await h.herald.context.store.chats.update(chatId, (current) => {
      const state = current ?? emptyChatState(chatId, TENANT);
      const roster = Object.fromEntries(people.map((p) => [p.aadObjectId, { ...graphMember(p, { withName: true }), present: true, changedAt: at }]));
      return { ...state, topic: topic ?? null, topicUpdatedAt: at, baselineAt: at, roster };
    });
  }
  h.double.connector.clearPosts();
  h.double.connector.clearRequests();
  return chatId;
}

export function person(name: string, tenantId = TENANT): TeamsMember {
  return newTeamsMember({ name, tenantId });
}

/** What Graph's membership payload says about a person: no display name, as usual. */
export function graphMember(p: TeamsMember, options: { roles?: string[]; tenantId?: string; withName?: boolean } = {}): ChatMember {
  return {
    userId: p.aadObjectId,
    displayName: options.withName ? p.name : null,
    tenantId: options.tenantId ?? p.tenantId,
    roles: options.roles ?? [],
  };
}

export function membershipIdOf(chatId: string, userId: string, tenantId = TENANT): string {
  return Buffer.from(`0##${tenantId}##${chatId}##${userId}`, 'utf8').toString('base64');
}

const base = (chatId: string, clock: () => Date) => ({
  tenantId: TENANT,
  chatId,
  changeKey: randomUUID(),
  source: 'notification' as const,
  receivedAt: clock().toISOString(),
});

export function joined(chatId: string, member: ChatMember, at: string | null = null, clock = () => new Date()): ChangeEvent {
  return { ...base(chatId, clock), kind: 'memberAdded', member: { membershipId: membershipIdOf(chatId, member.userId), ...member }, at };
}

export function left(chatId: string, member: { userId?: string; membershipId?: string }, at: string | null = null, clock = () => new Date()): ChangeEvent {
  return { ...base(chatId, clock), kind: 'memberRemoved', member, at };
}

export function chatUpdated(chatId: string, chat: ChatProperties, clock = () => new Date()): ChangeEvent {
  return { ...base(chatId, clock), kind: 'chatUpdated', chat };
}

/** The posts carrying an announcement card (the welcome message and command answers are plain text). */
export function announcementPosts(h: Harness, chatId: string): RecordedPost[] {
  return h.double.connector.posts(chatId).filter((p) => p.attachments.some(isCard));
}

/** What each announcement says, from its `summary` (announcements carry no `text`: the card shows it). */
export function announcementTexts(h: Harness, chatId: string): string[] {
  return announcementPosts(h, chatId).map((p) => p.activity.summary ?? '');
}

function isCard(a: Attachment): boolean {
  return a.contentType === 'application/vnd.microsoft.card.adaptive';
}
