/**
 * A running Herald (real HTTP on loopback) with a login double for Teams SSO tokens and a seeded store:
 * one group chat with present members, one who left, history and subscriptions.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHerald, type HeraldApp, type HeraldOverrides } from '../../../src/app/createHerald.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { createGraphAccess } from '../../../src/graph/createGraphAccess.js';
import type { GraphApi } from '../../../src/graph/GraphApi.js';
import type { HeraldConfig } from '../../../src/config/HeraldConfig.js';
import { LoginDouble, type UserTokenRequest } from '../../../sim/doubles/login/LoginDouble.js';
import { testNotificationCertificate, testSigningKey, testTls } from '../keys/testCredentials.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import type { SettingsChangedEvent } from '../../../src/events/HeraldEvents.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { DEFAULT_CHAT_SETTINGS, type ChatState, type RosterEntry } from '../../../src/model/chat.js';
import type { HistoryEntry } from '../../../src/model/history.js';
import type { SubscriptionRecord } from '../../../src/model/subscription.js';
import { openSqliteMemory, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import type { SubscriptionWiringDeps } from '../../../src/subscriptions/wireSubscriptions.js';

export const API_HOST = 'herald.example.test';

export interface Person {
  oid: string;
  name: string;
}

export interface TabWorld {
  herald: HeraldApp;
  login: LoginDouble;
  store: SqliteStore;
  config: HeraldConfig;
  url: string;
  clientId: string;
  tenantId: string;
  chatId: string;
  /** Members present in the chat's roster. */
  ada: Person;
  grace: Person;
  /** In the roster, but left. */
  leaver: Person;
  /** Never in the chat. */
  stranger: Person;
  settingsEvents: SettingsChangedEvent[];
  /** A Teams SSO token for Herald's API (App ID URI audience, this tenant) unless overridden. */
  token(person: Person, overrides?: Partial<UserTokenRequest>): Promise<string>;
  close(): Promise<void>;
}

export interface TabWorldOptions {
  /** 'playground' serves the simulated host page; 'live' is the production shape. */
  mode?: 'live' | 'playground';
  /** Runs before Herald listens (e.g. to add a test-only route). */
  beforeListen?(world: Omit<TabWorld, 'url'>): void;
  /** Graph's member list of a chat, in place of Graph's (which these tests cannot reach). */
  listChatMembers?: GraphApi['listChatMembers'];
}

const minutes = (n: number) => n * 60_000;

export async function startTabWorld(options: TabWorldOptions = {}): Promise<TabWorld> {
  const ca = await testTls();
  const restoreTrust: RestoreFetchTrust = trustCaForFetch(ca.caCertPem);
  const login = await LoginDouble.start({ tls: ca, initialSigningKey: await testSigningKey() });
  const certificate = await testNotificationCertificate();
  const clientId = randomUUID();
  login.registerApp({ clientId, displayName: 'Herald' });
  const tenantId = randomUUID();
  const chatId = '19:4a1c0f2e9b8d4c7a9e6f5d3c2b1a0f9e@thread.v2';
  const ada: Person = { oid: randomUUID(), name: 'Ada Lovelace' };
  const grace: Person = { oid: randomUUID(), name: 'Grace Hopper' };
  const leaver: Person = { oid: randomUUID(), name: 'Lee Ver' };
  const stranger: Person = { oid: randomUUID(), name: 'Sam Stranger' };
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-tab-'));

  const env: NodeJS.ProcessEnv = {
    AAD_AUTHORITY_HOST: login.origin,
    // Nothing in these tests talks to Graph; make any attempt fail fast instead of hanging on DNS.
    GRAPH_ENDPOINT: 'https://127.0.0.1:9',
    PUBLIC_URL: `https://${API_HOST}`,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    NOTIFICATION_CERT_FILE: certificate.certFile,
    NOTIFICATION_KEY_FILE: certificate.keyFile,
    // No bot credentials here (BOT_ID blank); botbuilder insists on an app id only for SingleTenant.
    BOT_TYPE: 'MultiTenant',
  };
  const loaded = options.mode === 'playground' ? loadConfig(env) : loadConfig({ ...env, BOT_AUTH: 'off', AAD_APP_CLIENT_ID: clientId, AAD_APP_CLIENT_SECRET: 'not-used-here' });
  // The playground has no credentials of its own; its tab still needs a client id to check tokens against.
  const config: HeraldConfig = { ...loaded, aad: { ...loaded.aad, clientId } };

  const now = Date.now();
  const store = await openSqliteMemory();
  const member = (p: Person, present: boolean, extra: Partial<RosterEntry> = {}): RosterEntry => ({
    userId: p.oid, displayName: p.name, tenantId, roles: ['owner'], changedAt: new Date(now - minutes(60)).toISOString(), present, ...extra,
  });
  const chat: ChatState = {
    chatId,
    tenantId,
    topic: 'Launch crew',
    topicUpdatedAt: new Date(now - minutes(30)).toISOString(),
    roster: { [ada.oid]: member(ada, true), [grace.oid]: member(grace, true), [leaver.oid]: member(leaver, false) },
    settings: { ...DEFAULT_CHAT_SETTINGS },
    problem: null,
    baselineAt: new Date(now - minutes(120)).toISOString(),
  };
  await store.chats.put(chatId, chat);
  const history: Array<Omit<HistoryEntry, 'id' | 'chatId' | 'at'> & { minutesAgo: number }> = [
    { minutesAgo: 120, kind: 'installed', actor: null },
    { minutesAgo: 90, kind: 'joined', actor: 'Grace Hopper', userId: grace.oid },
    { minutesAgo: 60, kind: 'joined', actor: 'Lee Ver', userId: leaver.oid },
    { minutesAgo: 45, kind: 'joined', actor: 'Gil Guest', userId: randomUUID(), guest: true },
    { minutesAgo: 30, kind: 'renamed', actor: 'Ada Lovelace', from: 'Project chat', to: 'Launch crew' },
    { minutesAgo: 20, kind: 'left', actor: 'Lee Ver', userId: leaver.oid },
    { minutesAgo: 10, kind: 'joined', actor: 'Erin External', userId: randomUUID(), external: true },
  ];
  for (const [i, h] of history.entries()) {
    const { minutesAgo, ...rest } = h;
    await store.history.append({ id: `h${i + 1}`, chatId, at: new Date(now - minutes(minutesAgo)).toISOString(), ...rest });
  }
  // Another chat's history must never show up.
  await store.history.append({ id: 'other-1', chatId: '19:0000@thread.v2', at: new Date(now).toISOString(), kind: 'joined', actor: 'Someone Else' });
  const subscription = (kind: SubscriptionRecord['kind'], chat: string | null, extra: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
    id: randomUUID(), kind, tenantId, chatId: chat, resource: chat ? `/chats/${chat}/members` : '/appCatalogs/teamsApps/x/installedToChats/getAllMembers',
    changeType: 'created,deleted', clientState: 'secret-client-state', expirationDateTime: new Date(now + minutes(50)).toISOString(),
    encryptionCertificateId: null, createdAt: new Date(now - minutes(120)).toISOString(), lastRenewedAt: null,
    lastNotificationAt: new Date(now - minutes(10)).toISOString(), lastError: null, ...extra,
  });
  // s1 was renewed by another instance; s2 was set up by one and never renewed.
  await store.subscriptions.put('s1', subscription('chatMembers', chatId, { lastRenewedBy: 'herald-2', lastRenewedAt: new Date(now - minutes(15)).toISOString() }));
  await store.subscriptions.put('s2', subscription('chat', chatId, { lastRenewedBy: 'herald-1', lastError: 'Forbidden: missing resource-specific consent (ChatSettings.Read.Chat)', lastNotificationAt: null }));
  await store.subscriptions.put('s3', subscription('tenantMembers', null, { expirationDateTime: new Date(now - minutes(5)).toISOString() }));
  await store.subscriptions.put('s4', subscription('chatMembers', '19:0000@thread.v2'));

  // These tests own the seeded subscription records: the subscription manager's renewal jobs never fire.
  const subscriptions: SubscriptionWiringDeps = { options: { timers: { setTimeout: () => 0, clearTimeout: () => undefined } } };
  if (options.listChatMembers) {
    const graph = createGraphAccess({ config, log: silentLogger(), clock: () => new Date() }).api;
    graph.listChatMembers = options.listChatMembers;
    subscriptions.graph = graph;
  }
  const overrides: HeraldOverrides & { subscriptions: SubscriptionWiringDeps } = { store, subscriptions };
  const herald = await createHerald(config, silentLogger(), overrides);
  const settingsEvents: SettingsChangedEvent[] = [];
  herald.context.events.on('settingsChanged', (event) => void settingsEvents.push(event));
  const world: Omit<TabWorld, 'url'> = {
    herald, login, store, config, clientId, tenantId, chatId, ada, grace, leaver, stranger, settingsEvents,
    token: (person, overrides = {}) =>
      login.signUserToken({ tenantId, clientId, apiHost: API_HOST, oid: person.oid, name: person.name, ...overrides }),
    async close() {
      await herald.stop();
      await login.close();
      restoreTrust();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  options.beforeListen?.(world);
  return { ...world, url: await herald.start() };
}
