/**
 * Several subscription runtimes on one PostgreSQL schema (two stores = two instances), each with its own
 * Graph client counting its calls against one shared in-memory Graph subscription table.
 */
import { ChatUnits } from '../../../src/events/ChatUnits.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { GraphSubscription, NewSubscription } from '../../../src/graph/GraphApi.js';
import { HeraldEvents } from '../../../src/events/HeraldEvents.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import type { Installation } from '../../../src/model/installation.js';
import { openPostgresStore, type PostgresStore } from '../../../src/storage/postgres/PostgresStore.js';
import { ChatProblemReporter } from '../../../src/subscriptions/ChatProblemReporter.js';
import { SubscriptionManager, type SubscriptionGraph, type SubscriptionManagerOptions } from '../../../src/subscriptions/SubscriptionManager.js';
import { freshSchema, type TestSchema } from '../../support/storage/testPostgres.js';

const TENANT = 'tenant-1';
const CHAT = '19:multi@thread.v2';
const PUBLIC_URL = 'https://herald.example';

/** Graph's subscriptions, shared by every instance (one tenant). */
class GraphTable {
  readonly subs = new Map<string, GraphSubscription>();
}

/** One instance's Graph client: its calls are counted here. */
class CountingGraph implements SubscriptionGraph {
  readonly calls: string[] = [];
  constructor(private readonly table: GraphTable) {}
  private async hop(): Promise<void> {
    // A real round trip: lets another instance interleave.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  async createSubscription(_tenantId: string, body: NewSubscription): Promise<GraphSubscription> {
    this.calls.push('create');
    await this.hop();
    const sub: GraphSubscription = {
      id: randomUUID(),
      resource: body.resource,
      changeType: body.changeType,
      notificationUrl: body.notificationUrl,
      lifecycleNotificationUrl: body.lifecycleNotificationUrl ?? null,
      expirationDateTime: body.expirationDateTime,
      clientState: null,
      applicationId: 'app',
      includeResourceData: true,
      encryptionCertificateId: body.encryptionCertificateId ?? null,
    };
    this.table.subs.set(sub.id, sub);
    return sub;
  }
  async renewSubscription(_tenantId: string, id: string, expirationDateTime: string): Promise<GraphSubscription> {
    this.calls.push('renew');
    await this.hop();
    const sub = this.table.subs.get(id);
    if (!sub) throw new Error('not found');
    sub.expirationDateTime = expirationDateTime;
    return sub;
  }
  async deleteSubscription(_tenantId: string, id: string): Promise<void> {
    this.calls.push('delete');
    await this.hop();
    this.table.subs.delete(id);
  }
  async reauthorizeSubscription(): Promise<void> {
    this.calls.push('reauthorize');
    await this.hop();
  }
  async listSubscriptions(): Promise<GraphSubscription[]> {
    this.calls.push('list');
    await this.hop();
    return [...this.table.subs.values()].map((s) => ({ ...s }));
  }
  async getChat(): ReturnType<SubscriptionGraph['getChat']> {
    return { id: CHAT, topic: 'Multi', chatType: 'group' } as Awaited<ReturnType<SubscriptionGraph['getChat']>>;
  }
  async listChatMembers(): ReturnType<SubscriptionGraph['listChatMembers']> {
    return [];
  }
  count(kind: string): number {
    return this.calls.filter((c) => c === kind).length;
  }
}

interface Instance {
  id: string;
  store: PostgresStore;
  graph: CountingGraph;
  manager: SubscriptionManager;
}

async function openInstance(db: TestSchema, table: GraphTable, id: string, options: Partial<SubscriptionManagerOptions>): Promise<Instance> {
  const store = await openPostgresStore({ url: db.url, schema: db.schema });
  const graph = new CountingGraph(table);
  const log = silentLogger();
  const clock = () => new Date();
  const events = new HeraldEvents();
  const manager = new SubscriptionManager({
    graph,
    store,
    events,
    units: new ChatUnits({ store, events, log }),
    problems: new ChatProblemReporter({ store, poster: { post: async () => undefined }, log, clock }),
    certificates: { current: () => ({ id: 'cert-1', certificateBase64: 'AAAA', thumbprint: 'AB', notAfter: new Date(Date.now() + 86_400_000 * 365) }) },
    log,
    clock,
    publicUrl: PUBLIC_URL,
    teamsAppId: null,
    billingModel: null,
    instanceId: id,
    options,
  });
  return { id, store, graph, manager };
}

function installation(): Installation {
  const now = new Date().toISOString();
  return {
    chatId: CHAT,
    tenantId: TENANT,
    serviceUrl: 'https://smba.example/',
    conversationReference: {},
    status: 'installed',
    installedAt: now,
    uninstalledAt: null,
    uninstallReason: null,
    lastActivityAt: now,
  };
}

describe('subscriptions on several instances sharing one PostgreSQL', function () {
  this.timeout(30_000);
  let db: TestSchema;
  let table: GraphTable;
  let instances: Instance[];

  beforeEach(async () => {
    db = await freshSchema('mi_subs');
    table = new GraphTable();
    instances = [];
  });

  afterEach(async () => {
    for (const instance of instances) {
      await instance.manager.stop();
      await instance.store.close();
    }
    await db.drop();
  });

  async function start(count: number, options: Partial<SubscriptionManagerOptions> = {}): Promise<Instance[]> {
    const opened = await Promise.all(Array.from({ length: count }, (_, i) => openInstance(db, table, `instance-${instances.length + i + 1}`, options)));
    instances.push(...opened);
    return opened;
  }

  async function installEverywhere(on: Instance[]): Promise<void> {
    const record = installation();
    await on[0].store.installations.put(record.chatId, record);
    for (const instance of on) instance.manager.onInstalled({ installation: record, firstTime: true });
    await Promise.all(on.map((i) => i.manager.whenIdle()));
  }

  it('creates one pair when an install reaches two instances at once', async () => {
    const [a, b] = await start(2);
    await installEverywhere([a, b]);
    assert.equal(table.subs.size, 2);
    assert.equal(a.graph.count('create') + b.graph.count('create'), 2);
    assert.deepEqual((await a.store.subscriptions.all()).map((r) => r.id).sort(), [...table.subs.keys()].sort());
  });

  it('records which instance created each subscription', async () => {
    const [a] = await start(1);
    await installEverywhere([a]);
    for (const record of await a.store.subscriptions.all()) assert.equal(record.lastRenewedBy, 'instance-1');
  });

  it('shows who set up the subscriptions in describeChat and the status lines, without calling it a renewal', async () => {
    const [a, b] = await start(2);
    await installEverywhere([a]);
    const view = await b.manager.describeChat(CHAT);
    assert.deepEqual(view.subscriptions.map((s) => s.lastRenewedBy), ['instance-1', 'instance-1']);
    const lines = await b.manager.statusLines(CHAT);
    assert.ok(lines.includes('Subscriptions set up by instance-1; not renewed yet.'), JSON.stringify(lines));
    assert.ok(!lines.some((l) => l.startsWith('Subscriptions renewed by')), 'nothing was renewed yet');
  });

  it('creates and deletes nothing when every instance restarts at once', async () => {
    const [first] = await start(1);
    await installEverywhere([first]);
    const before = [...table.subs.keys()].sort();
    const restarted = await start(3);
    await Promise.all(restarted.map((i) => i.manager.start()));
    await Promise.all(restarted.map((i) => i.manager.whenIdle()));
    assert.deepEqual([...table.subs.keys()].sort(), before);
    for (const instance of restarted) {
      assert.equal(instance.graph.count('create'), 0, instance.id);
      assert.equal(instance.graph.count('delete'), 0, instance.id);
    }
  });

  it('answers a reauthorizationRequired delivered to two instances once', async () => {
    const [a, b] = await start(2);
    await installEverywhere([a]);
    const [record] = (await a.store.subscriptions.all()).filter((r) => r.kind === 'chatMembers');
    const event = { kind: 'reauthorizationRequired' as const, subscriptionId: record.id, tenantId: TENANT, subscriptionExpirationDateTime: null, receivedAt: new Date().toISOString() };
    await Promise.all([a.manager.onLifecycle(event), b.manager.onLifecycle(event)]);
    await Promise.all([a.manager.whenIdle(), b.manager.whenIdle()]);
    const answers = a.graph.count('reauthorize') + b.graph.count('reauthorize') + a.graph.count('renew') + b.graph.count('renew');
    assert.equal(answers, 1);
    const after = await a.store.subscriptions.get(record.id);
    assert.equal(after?.reauthorizeDueAt ?? null, null);
  });

  it('replaces a subscription Graph removed once when both instances hear of it', async () => {
    const [a, b] = await start(2);
    await installEverywhere([a]);
    const [record] = (await a.store.subscriptions.all()).filter((r) => r.kind === 'chatMembers');
    table.subs.delete(record.id);
    const event = { kind: 'subscriptionRemoved' as const, subscriptionId: record.id, tenantId: TENANT, subscriptionExpirationDateTime: null, receivedAt: new Date().toISOString() };
    await Promise.all([a.manager.onLifecycle(event), b.manager.onLifecycle(event)]);
    await Promise.all([a.manager.whenIdle(), b.manager.whenIdle()]);
    assert.equal(a.graph.count('create') + b.graph.count('create'), 3);
    assert.equal(table.subs.size, 2);
    assert.equal((await a.store.subscriptions.all()).length, 2);
  });

  /** Makes every stored subscription (and Graph's copy) due for renewal now: ten minutes left. */
  async function makeDue(store: PostgresStore): Promise<void> {
    const expiry = new Date(Date.now() + 10 * 60_000).toISOString();
    for (const record of await store.subscriptions.all()) {
      await store.subscriptions.update(record.id, (current) => (current ? { ...current, expirationDateTime: expiry } : current));
      const live = table.subs.get(record.id);
      if (live) live.expirationDateTime = expiry;
    }
  }

  async function settle(on: Instance[], until: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !until(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    // And a little longer: a second renewal, if the runtimes were to send one, would show now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(on.map((i) => i.manager.whenIdle()));
  }

  it('PATCHes each subscription once per renewal across instances, and says which one did', async () => {
    const [first] = await start(1);
    await installEverywhere([first]);
    await first.manager.stop();
    await makeDue(first.store);
    // No 10-minute PATCH spacing: a second PATCH, if one were sent, would go out at once.
    const running = await start(2, { reauthorizeSpacingMs: 0 });
    await Promise.all(running.map((i) => i.manager.start()));
    const renews = () => running.reduce((n, i) => n + i.graph.count('renew'), 0);
    await settle(running, () => renews() >= 2);
    assert.equal(renews(), 2);
    for (const record of await first.store.subscriptions.all()) {
      assert.ok(record.lastRenewedAt, record.id);
      assert.ok(['instance-2', 'instance-3'].includes(record.lastRenewedBy ?? ''), String(record.lastRenewedBy));
    }
    const lines = await running[0]?.manager.statusLines(CHAT);
    assert.ok(lines?.some((l) => /^Subscriptions renewed by instance-[23]( and instance-[23])?\.$/.test(l)), JSON.stringify(lines));
  });

  it('another instance renews what a dead instance was keeping', async () => {
    const [first, second] = await start(2);
    await installEverywhere([first]);
    // The first instance dies: its timers and its connection to the database are gone.
    await first.manager.stop();
    await first.store.close();
    instances.splice(instances.indexOf(first), 1);
    await makeDue(second.store);
    await second.manager.start();
    await settle([second], () => second.graph.count('renew') >= 2);
    assert.equal(second.graph.count('renew'), 2);
    assert.equal(second.graph.count('create'), 0);
  });
});
