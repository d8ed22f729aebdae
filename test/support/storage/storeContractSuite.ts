import assert from 'node:assert/strict';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { StoreUnavailableError } from '../../../src/storage/errors.js';
import { HISTORY_LIMIT_PER_CHAT, type Store } from '../../../src/storage/Store.js';
import { batch, chat, entry, installation, pendingCreation, post, subscription } from './storeRecords.js';

/** Two instances over one shared storage, fresh for each test. */
export interface StoreWorld {
  a: Store;
  b: Store;
  /** Backends with a database that can go away (PostgreSQL): a third instance reached through a relay that can be cut. */
  outage?: { store: Store; cut(): Promise<void>; restore(): Promise<void> };
  teardown(): Promise<void>;
}

export interface StoreFixture {
  /** Before every test: empty storage and two instances on it. */
  world(): Promise<StoreWorld>;
  /** The schema version a freshly migrated store reports (null: no migrations). */
  migrationVersion: number | null;
  /** Whether `world().outage` exists: the backend has a database that can go away. */
  losesDatabase: boolean;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const byKey = <T extends { chatId?: string | null; id?: string }>(items: T[]) => items.map((i) => i.id ?? i.chatId).sort();

/**
 * The behaviour every Store backend shares. Run by test/integration/storage/*Contract.test.ts
 * against the embedded store (through asyncStoreFrom) and PostgreSQL, so the two cannot drift.
 */
export function storeContractSuite(fixture: StoreFixture): void {
  let world: StoreWorld;
  beforeEach(async () => {
    world = await fixture.world();
  });
  afterEach(async () => {
    await world?.teardown();
  });

  describe('collections', () => {
    it('gives back what was put, and nothing for an unknown key', async () => {
      await world.a.installations.put('19:one', installation('19:one'));
      assert.deepEqual(await world.a.installations.get('19:one'), installation('19:one'));
      assert.equal(await world.a.installations.get('19:other'), undefined);
    });

    it('shows one instance what another wrote', async () => {
      await world.a.installations.put('19:one', installation('19:one'));
      assert.deepEqual(await world.b.installations.get('19:one'), installation('19:one'));
    });

    it('hands out copies: changing one does not change the stored record', async () => {
      await world.a.installations.put('19:one', installation('19:one'));
      const copy = await world.a.installations.get('19:one');
      copy!.status = 'uninstalled';
      assert.equal((await world.a.installations.get('19:one'))?.status, 'installed');
    });

    it("answers a chat's subscriptions, a tenant's tenant-wide ones, all of a tenant's, and those of one spec", async () => {
      await world.a.subscriptions.put('s1', subscription('s1', 'tenant-a', '19:one'));
      await world.a.subscriptions.put('s2', subscription('s2', 'tenant-a', null));
      await world.a.subscriptions.put('s3', subscription('s3', 'tenant-b', '19:two'));
      await world.a.subscriptions.put('s4', { ...subscription('s4', 'tenant-a', '19:one'), kind: 'chat', resource: '/chats/19:one' });
      assert.deepEqual(byKey(await world.b.subscriptions.all()), ['s1', 's2', 's3', 's4']);
      assert.deepEqual(byKey(await world.b.subscriptions.ofChat('19:one')), ['s1', 's4']);
      assert.deepEqual(byKey(await world.b.subscriptions.tenantWide('tenant-a')), ['s2']);
      assert.deepEqual(byKey(await world.b.subscriptions.ofTenant('tenant-a')), ['s1', 's2', 's4']);
      assert.deepEqual(byKey(await world.b.subscriptions.forSpec({ tenantId: 'tenant-a', chatId: '19:one', kind: 'chat' })), ['s4']);
      assert.deepEqual(byKey(await world.b.subscriptions.forSpec({ tenantId: 'tenant-a', chatId: null, kind: 'tenantMembers' })), ['s2']);
      assert.deepEqual((await world.b.subscriptions.tenants()).sort(), ['tenant-a', 'tenant-b']);
    });

    it('compares tenant ids regardless of case, and gives them back as stored', async () => {
      await world.a.subscriptions.put('s1', subscription('s1', 'Tenant-A', null));
      await world.a.installations.put('19:one', installation('19:one', 'Tenant-A'));
      assert.deepEqual(byKey(await world.b.subscriptions.tenantWide('TENANT-a')), ['s1']);
      assert.deepEqual(byKey(await world.b.installations.installed('tenant-a')), ['19:one']);
      assert.deepEqual(await world.b.subscriptions.tenants(), ['Tenant-A']);
    });

    it('counts subscriptions and those expired by a time', async () => {
      assert.deepEqual(await world.a.subscriptions.counts(T0), { total: 0, expired: 0 });
      await world.a.subscriptions.put('s1', { ...subscription('s1', 'tenant-a', '19:one'), expirationDateTime: later(-1).toISOString() });
      await world.a.subscriptions.put('s2', { ...subscription('s2', 'tenant-a', '19:two'), expirationDateTime: T0.toISOString() });
      await world.a.subscriptions.put('s3', { ...subscription('s3', 'tenant-a', '19:three'), expirationDateTime: later(1).toISOString() });
      assert.deepEqual(await world.b.subscriptions.counts(T0), { total: 3, expired: 2 });
    });

    it('finds subscriptions not on a certificate, and whether any still uses one (by thumbprint, or by id where none was kept)', async () => {
      const on = (id: string, thumbprint: string | null, certificateId: string | null) => ({ ...subscription(id, 'tenant-a', `19:${id}`), encryptionCertificateThumbprint: thumbprint, encryptionCertificateId: certificateId });
      await world.a.subscriptions.put('s1', on('s1', 'NEW', 'cert-2'));
      await world.a.subscriptions.put('s2', on('s2', 'OLD', 'cert-1'));
      await world.a.subscriptions.put('s3', on('s3', null, 'cert-1'));
      assert.deepEqual(byKey(await world.b.subscriptions.notOnCertificate('NEW')), ['s2', 's3']);
      assert.equal(await world.b.subscriptions.anyOnCertificate({ thumbprint: 'OLD', id: 'cert-x' }), true);
      assert.equal(await world.b.subscriptions.anyOnCertificate({ thumbprint: 'OTHER', id: 'cert-1' }), true, 'a record without thumbprint, by its id');
      assert.equal(await world.b.subscriptions.anyOnCertificate({ thumbprint: 'OTHER', id: 'cert-2' }), false, 'an id only vouches where no thumbprint was kept');
    });

    it("answers the installed chats, of all tenants or one, and counts them", async () => {
      await world.a.installations.put('19:one', installation('19:one', 'tenant-a'));
      await world.a.installations.put('19:two', installation('19:two', 'tenant-b'));
      await world.a.installations.put('19:gone', { ...installation('19:gone', 'tenant-a'), status: 'uninstalled' });
      assert.deepEqual(byKey(await world.b.installations.installed()), ['19:one', '19:two']);
      assert.deepEqual(byKey(await world.b.installations.installed('tenant-a')), ['19:one']);
      assert.equal(await world.b.installations.countInstalled(), 2);
    });

    it('answers the installed chats with a problem, and the chats carrying a tenant-wide problem', async () => {
      const problem = { code: 'graphAccessDenied', message: 'no access', at: T0.toISOString(), announced: false };
      const tenantProblem = { message: 'refused', at: T0.toISOString() };
      await world.a.installations.put('19:one', installation('19:one'));
      await world.a.installations.put('19:gone', { ...installation('19:gone'), status: 'uninstalled' });
      await world.a.chats.put('19:one', { ...chat('19:one'), problem, tenantProblem });
      await world.a.chats.put('19:gone', { ...chat('19:gone'), problem });
      await world.a.chats.put('19:fine', chat('19:fine'));
      await world.a.chats.put('19:other', { ...chat('19:other', 'tenant-b'), tenantProblem });
      assert.deepEqual(byKey(await world.b.chats.installedWithProblem()), ['19:one']);
      assert.deepEqual(byKey(await world.b.chats.withTenantProblem()), ['19:one', '19:other']);
      assert.deepEqual(byKey(await world.b.chats.withTenantProblem('TENANT-B')), ['19:other']);
      await world.a.chats.update('19:one', (current) => current && { ...current, problem: null, tenantProblem: null });
      assert.deepEqual(await world.b.chats.installedWithProblem(), []);
    });

    it("answers a chat's waiting posts and the ids of all waiting posts by chat", async () => {
      await world.a.outbox.put('p2', post('p2', '19:one', T0.toISOString()));
      await world.a.outbox.put('p1', post('p1', '19:one', T0.toISOString()));
      await world.a.outbox.put('p3', post('p3', '19:two', T0.toISOString()));
      assert.deepEqual((await world.b.outbox.ofChat('19:one')).map((p) => p.id), ['p1', 'p2']);
      assert.deepEqual([...(await world.b.outbox.idsByChat())], [['19:one', ['p1', 'p2']], ['19:two', ['p3']]]);
      assert.equal(await world.b.outbox.count(), 3);
    });

    it('lists and counts open summary windows', async () => {
      await world.a.pendingSummaries.put('19:one', { chatId: '19:one', windowEndsAt: T0.toISOString(), changes: [] });
      assert.deepEqual((await world.b.pendingSummaries.all()).map((s) => s.chatId), ['19:one']);
      assert.equal(await world.b.pendingSummaries.count(), 1);
    });

    it("keeps a pending creation where the other instance finds it, by key and by its tenant", async () => {
      await world.a.pendingCreations.put('p1', pendingCreation('p1', 'tenant-a', '19:one'));
      await world.a.pendingCreations.put('p2', pendingCreation('p2', 'tenant-a', null));
      await world.a.pendingCreations.put('p3', pendingCreation('p3', 'tenant-b', '19:two'));
      assert.deepEqual(await world.b.pendingCreations.get('p1'), pendingCreation('p1', 'tenant-a', '19:one'));
      assert.deepEqual((await world.b.pendingCreations.ofTenant('tenant-a')).map((p) => p.key), ['p1', 'p2']);
      await world.b.pendingCreations.delete('p1');
      assert.equal(await world.a.pendingCreations.get('p1'), undefined);
    });

    it('finds the change logs holding a change older than a time', async () => {
      const change = (at: Date) => ({ changeKey: `k-${at.getTime()}`, at: at.toISOString(), reporters: ['s'], superseded: false });
      await world.a.changeLogs.put('tenant-a|/chats/19:one', { key: 'tenant-a|/chats/19:one', latestStamp: null, changes: { old: change(T0), fresh: change(later(10_000)) } });
      await world.a.changeLogs.put('tenant-b|/chats/19:two', { key: 'tenant-b|/chats/19:two', latestStamp: null, changes: { fresh: change(later(10_000)) } });
      assert.deepEqual(await world.b.changeLogs.keysWithChangesBefore(later(5_000)), ['tenant-a|/chats/19:one']);
      assert.deepEqual(await world.b.changeLogs.keysWithChangesBefore(T0), []);
    });

    it('keeps NUL and the escape character in any string unchanged: keys, ids, values and document keys', async () => {
      // PostgreSQL's text and jsonb refuse U+0000; U+E000 is what the PostgreSQL store escapes with.
      const chatId = '19:nul\u0000chat\uE000e';
      const odd = { ...installation(chatId, 'tenant\u0000a'), serviceUrl: 'a\u0000b\uE0000\\u0000', extra: { 'k\u0000ey': ['\u0000', '\uE000'] } };
      await world.a.installations.put(`key\u0000${chatId}`, odd);
      assert.deepEqual(await world.b.installations.get(`key\u0000${chatId}`), odd);
      assert.deepEqual(await world.b.installations.installed('tenant\u0000a'), [odd]);
      assert.deepEqual(await world.b.installations.installed('tenant'), []);
      await world.a.history.append(entry(chatId, 'e\u00001', T0.toISOString()));
      assert.deepEqual((await world.b.history.page(chatId)).map((e) => e.id), ['e\u00001']);
      assert.equal(await world.a.seen.add('seen\u0000key', T0), true);
      assert.equal(await world.b.seen.has('seen\u0000key'), true);
      await world.a.installations.delete(`key\u0000${chatId}`);
      assert.equal(await world.b.installations.get(`key\u0000${chatId}`), undefined);
    });

    it('replaces a record on put and removes it on delete (deleting twice is harmless)', async () => {
      await world.a.installations.put('19:one', installation('19:one'));
      await world.a.installations.put('19:one', { ...installation('19:one'), status: 'uninstalled' });
      assert.equal((await world.a.installations.get('19:one'))?.status, 'uninstalled');
      await world.a.installations.delete('19:one');
      await world.a.installations.delete('19:one');
      assert.equal(await world.a.installations.get('19:one'), undefined);
      assert.deepEqual(await world.a.installations.installed(), []);
    });

    it('updates create, change and (returning undefined) delete a record', async () => {
      const created = await world.a.installations.update('19:one', (current) => current ?? installation('19:one'));
      assert.equal(created?.chatId, '19:one');
      const changed = await world.a.installations.update('19:one', (current) => current && { ...current, status: 'uninstalled' });
      assert.equal(changed?.status, 'uninstalled');
      assert.equal((await world.b.installations.get('19:one'))?.status, 'uninstalled');
      assert.equal(await world.a.installations.update('19:one', () => undefined), undefined);
      assert.equal(await world.a.installations.get('19:one'), undefined);
    });

    it('runs concurrent updates of one key from two instances one after the other (none is lost)', async () => {
      const bump = (store: Store) =>
        store.chats.update('19:one', (current) => {
          const chat = current ?? { chatId: '19:one', tenantId: 'tenant-a', topic: '0', topicUpdatedAt: null, roster: {}, settings: { ...DEFAULT_CHAT_SETTINGS, windowMs: 0 }, problem: null, baselineAt: null };
          return { ...chat, topic: String(Number(chat.topic) + 1) };
        });
      await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 === 0 ? world.a : world.b)));
      assert.equal((await world.a.chats.get('19:one'))?.topic, '20');
    });
  });

  describe('several records at once', () => {
    it('gives back the records of several keys in one read, leaving out unknown keys', async () => {
      await world.a.chats.put('19:one', chat('19:one'));
      await world.a.chats.put('19:two', chat('19:two'));
      const found = await world.b.chats.getMany(['19:one', '19:nope', '19:two', '19:one']);
      assert.deepEqual([...found.keys()].sort(), ['19:one', '19:two']);
      assert.deepEqual(found.get('19:two'), chat('19:two'));
      assert.deepEqual(await world.b.chats.getMany([]), new Map());
    });

    it('puts several records in one write, inserting new ones and replacing existing ones (a repeated key: the last wins)', async () => {
      await world.a.installations.put('19:one', installation('19:one'));
      const gone = { ...installation('19:one'), status: 'uninstalled' as const };
      await world.a.installations.putMany([
        ['19:one', installation('19:one', 'tenant-b')],
        ['19:two', installation('19:two')],
        ['19:one', gone],
      ]);
      assert.deepEqual(await world.b.installations.get('19:one'), gone);
      assert.deepEqual(byKey(await world.b.installations.installed()), ['19:two'], 'the columns follow the documents');
      await world.a.installations.putMany([]);
    });

    it('puts and reads more records than one statement takes', async function () {
      this.timeout(30_000);
      const keys = Array.from({ length: 1_200 }, (_, i) => `19:many-${i}`);
      await world.a.chats.putMany(keys.map((key) => [key, chat(key)]));
      const found = await world.b.chats.getMany(keys);
      assert.equal(found.size, keys.length);
      assert.deepEqual(found.get('19:many-1199'), chat('19:many-1199'));
    });

    it('keeps the lease of work items it rewrites', async () => {
      await world.a.inbox.putClaimed('b1', batch('b1', T0.toISOString()), { owner: 'a', at: T0, leaseMs: 30_000 });
      await world.a.inbox.putMany([['b1', { ...batch('b1', T0.toISOString()), done: [0] }], ['b2', batch('b2', T0.toISOString())]]);
      assert.deepEqual((await world.b.inbox.claim({ owner: 'b', at: later(1_000), leaseMs: 30_000, limit: 10 })).map((c) => c.key), ['b2']);
      assert.deepEqual((await world.b.inbox.get('b1'))?.done, [0]);
    });

    it('works inside a transaction, and is undone with it', async () => {
      await assert.rejects(
        world.a.transaction(async (tx) => {
          await tx.chats.putMany([['19:one', chat('19:one')]]);
          assert.equal((await tx.chats.getMany(['19:one'])).size, 1, 'the transaction reads its own writes');
          await tx.history.appendMany([entry('19:one', 'e1', T0.toISOString())]);
          throw new Error('step failed');
        }),
        /step failed/,
      );
      assert.equal((await world.b.chats.getMany(['19:one'])).size, 0);
      assert.deepEqual(await world.b.history.page('19:one'), []);
    });
  });

  describe('history', () => {
    beforeEach(async () => {
      await world.a.history.append(entry('19:one', 'e1', '2026-03-01T10:00:01.000Z', 'joined'));
      await world.a.history.append(entry('19:one', 'e2', '2026-03-01T10:00:02.000Z', 'renamed'));
      await world.b.history.append(entry('19:one', 'e3', '2026-03-01T10:00:03.000Z', 'left'));
      await world.a.history.append(entry('19:one', 'e4', '2026-03-01T10:00:03.000Z', 'joined'));
      await world.a.history.append(entry('19:two', 'x1', '2026-03-01T10:00:05.000Z', 'joined'));
    });

    it("lists one chat's entries newest first, entries of the same time in the order they were appended", async () => {
      assert.deepEqual((await world.a.history.page('19:one')).map((e) => e.id), ['e3', 'e4', 'e2', 'e1']);
      assert.deepEqual(await world.a.history.page('19:one').then((all) => all[3]), entry('19:one', 'e1', '2026-03-01T10:00:01.000Z', 'joined'));
    });

    it('pages with limit and before (the entries after the given one)', async () => {
      assert.deepEqual((await world.a.history.page('19:one', { limit: 2 })).map((e) => e.id), ['e3', 'e4']);
      assert.deepEqual((await world.a.history.page('19:one', { limit: 2, before: 'e4' })).map((e) => e.id), ['e2', 'e1']);
      assert.deepEqual((await world.a.history.page('19:one', { before: 'e3' })).map((e) => e.id), ['e4', 'e2', 'e1']);
    });

    it('pages from the newest entry when before names an unknown entry', async () => {
      assert.deepEqual((await world.a.history.page('19:one', { limit: 1, before: 'nope' })).map((e) => e.id), ['e3']);
    });

    it(`keeps the newest ${HISTORY_LIMIT_PER_CHAT} entries of a chat, dropping the oldest appended`, async function () {
      // Two thousand appends: a loaded machine's PostgreSQL needs more than the default 20 s for them.
      this.timeout(90_000);
      await world.a.history.append(entry('19:full', 'f0', T0.toISOString()));
      // The rest in parallel (only their number matters: the store is not yet over its bound), f0 stays the oldest appended.
      for (let start = 1; start < HISTORY_LIMIT_PER_CHAT; start += 100) {
        const chunk = Array.from({ length: Math.min(100, HISTORY_LIMIT_PER_CHAT - start) }, (_, j) => start + j);
        await Promise.all(chunk.map((i) => (i % 2 ? world.a : world.b).history.append(entry('19:full', `f${i}`, later(i).toISOString()))));
      }
      assert.equal((await world.a.history.page('19:full', { limit: 1, before: 'f1' })).at(0)?.id, 'f0');
      await world.b.history.append(entry('19:full', 'newest', later(HISTORY_LIMIT_PER_CHAT).toISOString()));
      const oldest = await world.a.history.page('19:full', { limit: 1, before: 'f1' });
      assert.deepEqual(oldest, [], 'f0 was dropped');
      assert.equal((await world.a.history.page('19:full', { limit: 1 })).at(0)?.id, 'newest');
      assert.equal((await world.a.history.page('19:one')).length, 4, 'other chats keep theirs');
    });

    it('appends several entries of several chats at once, in their order, ignoring ids already there or repeated', async () => {
      await world.b.history.appendMany([
        entry('19:one', 'e5', '2026-03-01T10:00:03.000Z', 'joined'),
        entry('19:one', 'e1', '2026-03-01T10:00:09.000Z', 'left'),
        entry('19:two', 'x2', '2026-03-01T10:00:05.000Z', 'left'),
        entry('19:one', 'e6', '2026-03-01T10:00:03.000Z', 'renamed'),
        entry('19:one', 'e5', '2026-03-01T10:00:09.000Z', 'renamed'),
      ]);
      assert.deepEqual((await world.a.history.page('19:one')).map((e) => e.id), ['e3', 'e4', 'e5', 'e6', 'e2', 'e1']);
      assert.equal((await world.a.history.page('19:one', { before: 'e2' })).at(0)?.kind, 'joined', 'e1 as first appended');
      assert.deepEqual((await world.a.history.page('19:two')).map((e) => e.id), ['x1', 'x2']);
      await world.a.history.appendMany([]);
    });

    it(`keeps the newest ${HISTORY_LIMIT_PER_CHAT} entries of each chat appended to at once`, async function () {
      this.timeout(60_000);
      const many = (chatId: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => entry(chatId, `m${from + i}`, later(from + i).toISOString()));
      await world.a.history.appendMany([...many('19:full', 0, HISTORY_LIMIT_PER_CHAT - 1), ...many('19:also', 0, 10)]);
      await world.b.history.appendMany([...many('19:full', HISTORY_LIMIT_PER_CHAT - 1, HISTORY_LIMIT_PER_CHAT + 2), ...many('19:also', 10, 12)]);
      const full = await world.a.history.page('19:full', { limit: HISTORY_LIMIT_PER_CHAT + 10 });
      assert.equal(full.length, HISTORY_LIMIT_PER_CHAT);
      assert.equal(full.at(-1)?.id, 'm2', 'the three oldest appended went');
      assert.equal((await world.a.history.page('19:also', { limit: 100 })).length, 12);
      assert.equal((await world.a.history.page('19:one')).length, 4, 'other chats keep theirs');
    });

    it('keeps only the kinds asked for', async () => {
      assert.deepEqual((await world.a.history.page('19:one', { kinds: ['joined'] })).map((e) => e.id), ['e4', 'e1']);
      assert.deepEqual((await world.a.history.page('19:one', { kinds: ['joined'], before: 'e4' })).map((e) => e.id), ['e1']);
    });
  });

  describe('seen keys', () => {
    it('adds a key once: the first add says true, later ones false', async () => {
      assert.equal(await world.a.seen.add('k1', T0), true);
      assert.equal(await world.b.seen.add('k1', later(1)), false);
      assert.equal(await world.b.seen.has('k1'), true);
      assert.equal(await world.a.seen.has('k2'), false);
    });

    it('lets exactly one of two instances adding the same key at the same moment win', async () => {
      for (let round = 0; round < 10; round++) {
        const results = await Promise.all([world.a.seen.add(`race-${round}`, T0), world.b.seen.add(`race-${round}`, T0)]);
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(results)}`);
      }
    });

    it('prunes keys recorded before a time, and only those', async () => {
      await world.a.seen.add('old-1', T0);
      await world.a.seen.add('old-2', later(1_000));
      await world.a.seen.add('new', later(2_000));
      assert.equal(await world.b.seen.prune(later(2_000)), 2);
      assert.equal(await world.a.seen.has('old-1'), false);
      assert.equal(await world.a.seen.has('new'), true);
      assert.equal(await world.a.seen.add('old-1', later(3_000)), true, 'a pruned key can be recorded again');
    });
  });

  describe('claiming work', () => {
    const lease = { leaseMs: 30_000, limit: 10 };

    beforeEach(async () => {
      for (let i = 1; i <= 6; i++) await world.a.inbox.put(`b${i}`, batch(`b${i}`, later(i * 10).toISOString()));
    });

    it('hands out items oldest first, at most limit of them', async () => {
      const claimed = await world.a.inbox.claim({ owner: 'a', at: T0, ...lease, limit: 4 });
      assert.deepEqual(claimed.map((c) => c.key), ['b1', 'b2', 'b3', 'b4']);
      assert.deepEqual(claimed[0]!.item, batch('b1', later(10).toISOString()));
      assert.equal(claimed[0]!.leasedUntil.getTime(), later(30_000).getTime());
    });

    it('never gives one item to two instances claiming at the same moment', async () => {
      const [fromA, fromB] = await Promise.all([
        world.a.inbox.claim({ owner: 'a', at: T0, ...lease, limit: 4 }),
        world.b.inbox.claim({ owner: 'b', at: T0, ...lease, limit: 4 }),
      ]);
      const keys = [...fromA, ...fromB].map((c) => c.key);
      assert.equal(new Set(keys).size, keys.length, `overlap: ${keys.join(',')}`);
      assert.deepEqual(keys.sort(), ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']);
    });

    it("lets another instance take an item over once the lease ran out, and not before", async () => {
      await world.a.inbox.claim({ owner: 'a', at: T0, ...lease });
      assert.deepEqual(await world.b.inbox.claim({ owner: 'b', at: later(29_999), ...lease }), []);
      const taken = await world.b.inbox.claim({ owner: 'b', at: later(30_000), ...lease });
      assert.equal(taken.length, 6);
      assert.equal(await world.a.inbox.complete('b1', 'a'), false, 'the dead owner no longer holds it');
      assert.equal(await world.b.inbox.complete('b1', 'b'), true);
      assert.equal(await world.a.inbox.get('b1'), undefined);
    });

    it('keeps an item with its owner while the lease is extended', async () => {
      await world.a.inbox.claim({ owner: 'a', at: T0, ...lease, limit: 1 });
      assert.equal(await world.a.inbox.extend('b1', { owner: 'a', at: later(20_000), leaseMs: 30_000 }), true);
      assert.equal(await world.b.inbox.extend('b1', { owner: 'b', at: later(20_000), leaseMs: 30_000 }), false);
      const atOldExpiry = await world.b.inbox.claim({ owner: 'b', at: later(30_000), ...lease });
      assert.ok(!atOldExpiry.some((c) => c.key === 'b1'));
    });

    it('makes a released item claimable at once', async () => {
      await world.a.inbox.claim({ owner: 'a', at: T0, ...lease, limit: 1 });
      assert.equal(await world.b.inbox.release('b1', 'b'), false);
      assert.equal(await world.a.inbox.release('b1', 'a'), true);
      assert.deepEqual((await world.b.inbox.claim({ owner: 'b', at: T0, ...lease, limit: 1 })).map((c) => c.key), ['b1']);
    });

    it('hands out outbox posts only once they are due', async () => {
      await world.a.outbox.put('p1', post('p1', '19:one', later(0).toISOString()));
      await world.a.outbox.put('p2', post('p2', '19:one', later(5_000).toISOString()));
      assert.deepEqual((await world.b.outbox.claim({ owner: 'b', at: later(1_000), ...lease })).map((c) => c.key), ['p1']);
      assert.deepEqual((await world.a.outbox.claim({ owner: 'a', at: later(5_000), ...lease })).map((c) => c.key), ['p2']);
    });

    it('keeps the lease of an item its owner rewrites (a post whose attempt failed)', async () => {
      await world.a.outbox.put('p1', post('p1', '19:one', T0.toISOString()));
      await world.a.outbox.claim({ owner: 'a', at: T0, ...lease });
      await world.a.outbox.put('p1', { ...post('p1', '19:one', T0.toISOString()), attempts: 1 });
      assert.deepEqual(await world.b.outbox.claim({ owner: 'b', at: later(1_000), ...lease }), []);
      assert.equal(await world.a.outbox.complete('p1', 'a'), true);
    });
  });

  describe('instances that stop beating', () => {
    const lease = { leaseMs: 30_000, limit: 10 };

    beforeEach(async () => {
      await world.a.inbox.putClaimed('b1', batch('b1', T0.toISOString()), { owner: 'a', at: T0, leaseMs: 30_000 });
      await world.a.outbox.put('p1', post('p1', '19:one', T0.toISOString()));
      await world.a.outbox.claim({ owner: 'a', at: T0, ...lease });
    });

    it('lists the instances whose last beat is older than a time', async () => {
      await world.a.instances.beat('a', T0);
      await world.b.instances.beat('b', later(5_000));
      await world.a.instances.beat('a', later(1_000));
      assert.deepEqual(await world.b.instances.stale(later(2_000)), ['a']);
      assert.deepEqual(await world.b.instances.stale(later(6_000)), ['a', 'b']);
    });

    it('hands a stale instance\'s work to a claimant at once, inbox and outbox, when asked to', async () => {
      await world.a.instances.beat('a', T0);
      const staleOwnersBefore = later(1_000);
      assert.deepEqual(await world.b.inbox.claim({ owner: 'b', at: later(2_000), ...lease }), [], 'not without staleOwnersBefore');
      assert.deepEqual((await world.b.inbox.claim({ owner: 'b', at: later(2_000), ...lease, staleOwnersBefore })).map((c) => c.key), ['b1']);
      assert.deepEqual((await world.b.outbox.claim({ owner: 'b', at: later(2_000), ...lease, staleOwnersBefore })).map((c) => c.key), ['p1']);
      assert.equal(await world.a.inbox.complete('b1', 'a'), false, 'the stale owner no longer holds it');
      assert.equal(await world.b.inbox.complete('b1', 'b'), true);
    });

    it('leaves a live instance\'s work with it until its lease runs out', async () => {
      await world.a.instances.beat('a', later(1_500));
      assert.deepEqual(await world.b.inbox.claim({ owner: 'b', at: later(2_000), ...lease, staleOwnersBefore: later(1_000) }), []);
      assert.deepEqual((await world.b.inbox.claim({ owner: 'b', at: later(30_000), ...lease, staleOwnersBefore: later(1_000) })).map((c) => c.key), ['b1']);
    });

    it('keeps the lease rule for an owner that never beat, or that stopped cleanly', async () => {
      await world.a.instances.beat('a', T0);
      await world.a.instances.gone('a');
      assert.deepEqual(await world.b.instances.stale(later(60_000)), []);
      assert.deepEqual(await world.b.inbox.claim({ owner: 'b', at: later(29_999), ...lease, staleOwnersBefore: later(10_000) }), []);
      assert.deepEqual((await world.b.inbox.claim({ owner: 'b', at: later(30_000), ...lease, staleOwnersBefore: later(10_000) })).map((c) => c.key), ['b1']);
    });

    it('hands one stale instance\'s items to only one of two claimants at the same moment', async () => {
      for (let i = 2; i <= 8; i++) await world.a.inbox.putClaimed(`b${i}`, batch(`b${i}`, later(i).toISOString()), { owner: 'a', at: T0, leaseMs: 30_000 });
      await world.a.instances.beat('a', T0);
      const options = { at: later(2_000), ...lease, limit: 4, staleOwnersBefore: later(1_000) };
      const [fromB, fromC] = await Promise.all([world.a.inbox.claim({ owner: 'b', ...options }), world.b.inbox.claim({ owner: 'c', ...options })]);
      const keys = [...fromB, ...fromC].map((c) => c.key);
      assert.equal(new Set(keys).size, keys.length, `overlap: ${keys.join(',')}`);
      assert.equal(keys.length, 8);
    });
  });

  describe('storing work already claimed', () => {
    const lease = { leaseMs: 30_000, limit: 10 };

    it('keeps a batch stored with its lease away from other claimants until the lease runs out', async () => {
      const held = await world.a.inbox.putClaimed('b1', batch('b1', T0.toISOString()), { owner: 'a', at: T0, leaseMs: 30_000 });
      assert.equal(held.leasedUntil.getTime(), later(30_000).getTime());
      assert.deepEqual(await world.b.inbox.get('b1'), batch('b1', T0.toISOString()));
      assert.deepEqual(await world.b.inbox.claim({ owner: 'b', at: later(29_999), ...lease }), []);
      assert.deepEqual((await world.b.inbox.claim({ owner: 'b', at: later(30_000), ...lease })).map((c) => c.key), ['b1']);
    });

    it('lets the owner extend and complete a batch it stored claimed; nobody else', async () => {
      await world.a.inbox.putClaimed('b1', batch('b1', T0.toISOString()), { owner: 'a', at: T0, leaseMs: 30_000 });
      assert.equal(await world.b.inbox.extend('b1', { owner: 'b', at: later(10_000), leaseMs: 30_000 }), false);
      assert.equal(await world.b.inbox.complete('b1', 'b'), false);
      assert.equal(await world.a.inbox.extend('b1', { owner: 'a', at: later(20_000), leaseMs: 30_000 }), true);
      assert.deepEqual(await world.b.inbox.claim({ owner: 'b', at: later(30_000), ...lease }), []);
      assert.equal(await world.a.inbox.complete('b1', 'a'), true);
      assert.equal(await world.b.inbox.get('b1'), undefined);
    });

    it('keeps the lease when the owner rewrites the batch (its progress)', async () => {
      await world.a.inbox.putClaimed('b1', batch('b1', T0.toISOString()), { owner: 'a', at: T0, leaseMs: 30_000 });
      await world.a.inbox.update('b1', (current) => current && { ...current, done: [0] });
      assert.deepEqual(await world.b.inbox.claim({ owner: 'b', at: later(1_000), ...lease }), []);
      assert.deepEqual((await world.b.inbox.get('b1'))?.done, [0]);
    });
  });

  describe('transactions', () => {
    it('applies every write of a transaction together, and what it returns', async () => {
      const result = await world.a.transaction(async (tx) => {
        await tx.installations.put('19:one', installation('19:one'));
        await tx.history.append(entry('19:one', 'e1', T0.toISOString()));
        await tx.chats.update('19:one', () => chat('19:one'));
        assert.equal((await tx.installations.get('19:one'))?.chatId, '19:one', 'the transaction reads its own writes');
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal((await world.b.installations.get('19:one'))?.chatId, '19:one');
      assert.equal((await world.b.chats.get('19:one'))?.chatId, '19:one');
      assert.deepEqual((await world.b.history.page('19:one')).map((e) => e.id), ['e1']);
    });

    it('applies none of them when the work fails, and hands the failure to the caller', async () => {
      await world.a.installations.put('19:one', installation('19:one'));
      await assert.rejects(
        world.a.transaction(async (tx) => {
          await tx.installations.put('19:one', { ...installation('19:one'), status: 'uninstalled' });
          await tx.outbox.put('p1', post('p1', '19:one', T0.toISOString()));
          throw new Error('step failed');
        }),
        /step failed/,
      );
      assert.equal((await world.b.installations.get('19:one'))?.status, 'installed');
      assert.equal(await world.b.outbox.get('p1'), undefined);
    });
  });

  describe('transactions at the same time', () => {
    it('applies concurrent transactions of both instances, each with what it returns', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? world.a : world.b).transaction(async (tx) => {
            await tx.chats.put(`19:c${i}`, chat(`19:c${i}`));
            await tx.history.append(entry(`19:c${i}`, `e${i}`, T0.toISOString()));
            return i;
          }),
        ),
      );
      assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
      assert.equal((await world.a.chats.getMany(Array.from({ length: 20 }, (_, i) => `19:c${i}`))).size, 20);
    });

    it('rolls back only the transactions that fail, and hands each failure to its own caller', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          world.a.transaction(async (tx) => {
            await tx.chats.put(`19:c${i}`, chat(`19:c${i}`));
            await tx.seen.add(`k${i}`, T0);
            if (i % 3 === 1) throw new Error(`unit ${i} failed`);
            return i;
          }),
        ),
      );
      outcomes.forEach((outcome, i) => {
        if (i % 3 === 1) assert.equal(outcome.status === 'rejected' && (outcome.reason as Error).message, `unit ${i} failed`);
        else assert.deepEqual(outcome, { status: 'fulfilled', value: i });
      });
      const stored = await world.b.chats.getMany(Array.from({ length: 10 }, (_, i) => `19:c${i}`));
      assert.deepEqual([...stored.keys()].sort(), ['19:c0', '19:c2', '19:c3', '19:c5', '19:c6', '19:c8', '19:c9']);
      assert.equal(await world.b.seen.has('k1'), false);
      assert.equal(await world.b.seen.add('k1', T0), true, 'nothing of a failed transaction remains');
    });

    it('runs the store\'s own read-modify-writes inside a transaction as part of it', async () => {
      await world.a.inbox.put('b1', batch('b1', T0.toISOString()));
      const outcome = await world.a.transaction(async (tx) => {
        const claimed = await tx.inbox.claim({ owner: 'a', at: T0, leaseMs: 30_000, limit: 10 });
        const updated = await tx.chats.update('19:one', (current) => current ?? chat('19:one'));
        await tx.inbox.update('b1', (current) => current && { ...current, done: [0] });
        return { claimed: claimed.map((c) => c.key), topic: updated?.chatId, done: (await tx.inbox.get('b1'))?.done };
      });
      assert.deepEqual(outcome, { claimed: ['b1'], topic: '19:one', done: [0] });
      assert.equal(await world.b.inbox.complete('b1', 'a'), true);
    });
  });

  describe('key locks', () => {
    const holdAndRecord = (store: Store, key: string, name: string, log: string[], ms = 30) =>
      store.locks.run(key, async () => {
        log.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`${name} out`);
        return name;
      });

    it('lets one instance at a time hold a key; the other waits its turn', async () => {
      const log: string[] = [];
      const results = await Promise.all([holdAndRecord(world.a, 'chat:1', 'a', log), holdAndRecord(world.b, 'chat:1', 'b', log)]);
      assert.deepEqual(results, ['a', 'b']);
      assert.equal(log.length, 4);
      // Never both inside: every 'in' is followed by its own 'out'.
      assert.equal(log[0]?.replace(' in', ''), log[1]?.replace(' out', ''));
      assert.equal(log[2]?.replace(' in', ''), log[3]?.replace(' out', ''));
    });

    it('holds the key for the whole of a locked transaction, against locks.run and other locked transactions, on any instance', async () => {
      const log: string[] = [];
      const inTransaction = (store: Store, name: string) =>
        store.lockedTransaction('chat:locked', async (tx) => {
          log.push(`${name} in`);
          await tx.seen.add(`locked-${name}`, new Date());
          await new Promise((resolve) => setTimeout(resolve, 30));
          log.push(`${name} out`);
          return name;
        });
      const results = await Promise.all([inTransaction(world.a, 'a'), holdAndRecord(world.b, 'chat:locked', 'b', log), inTransaction(world.b, 'c')]);
      assert.deepEqual(results, ['a', 'b', 'c']);
      for (let i = 0; i < log.length; i += 2) assert.equal(log[i]?.replace(' in', ''), log[i + 1]?.replace(' out', ''), `never two inside: ${log.join(', ')}`);
      assert.equal(await world.a.seen.has('locked-c'), true);
    });

    it('applies none of a locked transaction\'s writes when it fails, and frees the key', async () => {
      await assert.rejects(
        world.a.lockedTransaction('chat:locked-fail', async (tx) => {
          await tx.seen.add('locked-fail', new Date());
          throw new Error('refused');
        }),
        /refused/,
      );
      assert.equal(await world.b.seen.has('locked-fail'), false);
      assert.equal(await world.b.lockedTransaction('chat:locked-fail', async () => 'free'), 'free');
    });

    it('runs different keys at the same time', async () => {
      // Each holder stays inside until the other is inside too: were the keys exclusive of each other,
      // neither would ever see the other and the test would time out. No timing is assumed.
      let aIn!: () => void;
      let bIn!: () => void;
      const aInside = new Promise<void>((resolve) => (aIn = resolve));
      const bInside = new Promise<void>((resolve) => (bIn = resolve));
      const results = await Promise.all([
        world.a.locks.run('chat:1', async () => {
          aIn();
          await bInside;
          return 'a';
        }),
        world.b.locks.run('chat:2', async () => {
          bIn();
          await aInside;
          return 'b';
        }),
      ]);
      assert.deepEqual(results, ['a', 'b']);
    });

    it('releases a key whose task failed, and hands the failure to the caller', async () => {
      await assert.rejects(world.a.locks.run('chat:1', async () => Promise.reject(new Error('task failed'))), /task failed/);
      assert.equal(await world.b.locks.run('chat:1', async () => 'next'), 'next');
    });

    it('keeps one instance\'s callers of a key in call order', async () => {
      const order: number[] = [];
      await Promise.all([1, 2, 3].map((n) => world.a.locks.run('tenant:t', async () => void order.push(n))));
      assert.deepEqual(order, [1, 2, 3]);
    });
  });

  describe('health', () => {
    it('reports the store reachable with its schema version', async () => {
      const health = await world.a.health();
      assert.equal(health.reachable, true);
      assert.equal(health.migrationVersion, fixture.migrationVersion);
    });
  });

  // The embedded store has no database to lose: its fixture has no outage, and this part does not apply.
  if (!fixture.losesDatabase) return;
  describe('a database that goes away', () => {
    it('rejects operations with STORE_UNAVAILABLE while it is gone, and works again once it is back', async () => {
      assert.ok(world.outage, 'the fixture offers an outage');
      const { store, cut, restore } = world.outage;
      await store.installations.put('19:one', installation('19:one'));
      await cut();
      for (const attempt of [() => store.installations.get('19:one'), () => store.seen.add('k', T0), () => store.inbox.claim({ owner: 'c', at: T0, leaseMs: 1, limit: 1 })]) {
        await assert.rejects(attempt(), (error: unknown) => error instanceof StoreUnavailableError && error.code === 'herald.store.unavailable' && /DATABASE_URL/.test(error.message));
      }
      assert.equal((await store.health()).reachable, false);
      await restore();
      assert.equal((await store.installations.get('19:one'))?.chatId, '19:one');
      assert.equal((await store.health()).reachable, true);
    });
  });
}
