import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../../src/storage/errors.js';
import { openSqliteStore, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { chat, entry, installation } from '../../support/storage/storeRecords.js';

const T0 = new Date('2026-03-01T10:00:00.000Z');

/**
 * The embedded store commits concurrent units of work together: one COMMIT (one fsync with
 * synchronous=FULL) for a group. Commits are counted by the store (`SqliteStore.commits`), never timed.
 */
describe('SQLite group commit', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-group-'));
    store = await openSqliteStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('commits 50 concurrent transactions with far fewer COMMITs than 50', async () => {
    const before = store.commits;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.transaction(async (tx) => {
          await tx.chats.put(`19:c${i}`, chat(`19:c${i}`));
          await tx.history.append(entry(`19:c${i}`, `e${i}`, T0.toISOString()));
        }),
      ),
    );
    const commits = store.commits - before;
    assert.ok(commits >= 1 && commits <= 2, `${commits} commits`);
    assert.equal((await store.chats.getMany(Array.from({ length: 50 }, (_, i) => `19:c${i}`))).size, 50);
  });

  it('shares commits between writes made outside transactions too (every kind of write)', async () => {
    const before = store.commits;
    await Promise.all([
      store.installations.put('19:one', installation('19:one')),
      store.chats.update('19:one', () => chat('19:one')),
      store.chats.putMany([['19:two', chat('19:two')]]),
      store.inbox.putClaimed('b1', { id: 'b1', route: 'notifications', receivedAt: T0.toISOString(), body: {} }, { owner: 'a', at: T0, leaseMs: 30_000 }),
      store.inbox.extend('b1', { owner: 'a', at: T0, leaseMs: 60_000 }),
      store.outbox.claim({ owner: 'a', at: T0, leaseMs: 30_000, limit: 1 }),
      store.history.append(entry('19:one', 'e1', T0.toISOString())),
      store.history.appendMany([entry('19:one', 'e2', T0.toISOString())]),
      store.seen.add('k1', T0),
      store.instances.beat('a', T0),
    ]);
    assert.equal(store.commits - before, 1);
    assert.equal(await store.inbox.complete('b1', 'a'), true);
  });

  it('settles each caller only after the shared COMMIT', async () => {
    const before = store.commits;
    const seen = await Promise.all(Array.from({ length: 5 }, (_, i) => store.seen.add(`k${i}`, T0).then(() => store.commits - before)));
    for (const commitsWhenSettled of seen) assert.ok(commitsWhenSettled >= 1);
  });

  it("keeps one caller's units in the order it handed them in, even without waiting for each", async () => {
    await Promise.all([
      store.chats.put('19:one', { ...chat('19:one'), topic: 'first' }),
      store.transaction(async (tx) => tx.chats.update('19:one', (current) => current && { ...current, topic: `${current.topic}, second` })),
      store.chats.update('19:one', (current) => current && { ...current, topic: `${current.topic}, third` }),
      store.history.append(entry('19:one', 'e1', T0.toISOString())),
      store.history.append(entry('19:one', 'e2', T0.toISOString())),
    ]);
    assert.equal((await store.chats.get('19:one'))?.topic, 'first, second, third');
    assert.deepEqual((await store.history.page('19:one')).map((e) => e.id), ['e1', 'e2']);
  });

  it('rolls back a failing unit alone: the rest of its group commits', async () => {
    const before = store.commits;
    const outcomes = await Promise.allSettled([
      store.chats.put('19:one', chat('19:one')),
      store.transaction(async (tx) => {
        await tx.chats.put('19:two', chat('19:two'));
        throw new Error('unit failed');
      }),
      store.chats.update('19:three', () => {
        throw new Error('update failed');
      }),
      store.chats.put('19:four', chat('19:four')),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.equal(store.commits - before, 1);
    assert.deepEqual([...(await store.chats.getMany(['19:one', '19:two', '19:three', '19:four'])).keys()].sort(), ['19:four', '19:one']);
  });

  it('fails every unit of a group whose COMMIT fails, and commits the next group', async () => {
    // A deferred foreign key is checked at COMMIT: a trigger makes the key "poison" violate one.
    store.connection.exec(`
      PRAGMA foreign_keys = ON;
      CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TEMP TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TEMP TRIGGER poison AFTER INSERT ON main.seen_keys WHEN new.key = 'poison' BEGIN INSERT INTO child VALUES (42); END;
    `);
    const outcomes = await Promise.allSettled([store.chats.put('19:one', chat('19:one')), store.seen.add('poison', T0), store.transaction(async (tx) => tx.seen.add('fine', T0))]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected']);
    for (const outcome of outcomes) assert.match(String((outcome as PromiseRejectedResult).reason), /FOREIGN KEY/);
    assert.equal(await store.chats.get('19:one'), undefined);
    assert.equal(await store.seen.has('fine'), false);
    assert.equal(store.connection.inTransaction, false);
    await store.seen.add('fine', T0);
    assert.equal(await store.seen.has('fine'), true);
  });

  it('on a full disk, refuses with STORE_UNAVAILABLE what did not fit, keeps whatever it acknowledged, and writes again once there is room', async () => {
    const pages = store.connection.pragma('page_count', { simple: true }) as number;
    store.connection.pragma(`max_page_count = ${pages + 2}`);
    const big = (i: number) => ({ ...chat(`19:big${i}`), topic: 'x'.repeat(20_000) });
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? store.chats.put(`19:small${i}`, chat(`19:small${i}`)) : store.chats.put(`19:big${i}`, big(i)))));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    assert.ok(refused.length > 0, 'some did not fit');
    for (const outcome of refused) {
      const reason = (outcome as PromiseRejectedResult).reason as unknown;
      assert.ok(reason instanceof StoreUnavailableError && reason.code === 'herald.store.write_failed', String(reason));
    }
    const keys = outcomes.map((_, i) => (i % 2 ? `19:small${i}` : `19:big${i}`));
    const stored = await store.chats.getMany(keys);
    outcomes.forEach((outcome, i) => assert.equal(stored.has(keys[i]!), outcome.status === 'fulfilled', `${keys[i]} is stored exactly when acknowledged`));
    await assert.rejects(store.chats.put('19:huge', big(100)), StoreUnavailableError);
    assert.equal((await store.health()).reachable, false);
    store.connection.pragma('max_page_count = 1073741823');
    await store.chats.put('19:after', big(99));
    assert.equal((await store.health()).reachable, true);
  });

  it('refuses writes with STORE_UNAVAILABLE while the store is read-only, each caller its own, then writes again', async () => {
    store.connection.pragma('query_only = ON');
    const outcomes = await Promise.allSettled([store.chats.put('19:one', chat('19:one')), store.transaction(async (tx) => tx.seen.add('k', T0))]);
    for (const outcome of outcomes) {
      const reason = outcome.status === 'rejected' ? (outcome.reason as unknown) : null;
      assert.ok(reason instanceof StoreUnavailableError && reason.driverCode === 'SQLITE_READONLY', String(reason));
    }
    assert.equal((await store.health()).reachable, false, 'a group of refused units committed nothing: the store is still not writable');
    store.connection.pragma('query_only = OFF');
    await store.chats.put('19:one', chat('19:one'));
    assert.equal((await store.health()).reachable, true);
  });

  it('lets reads outside transactions run between groups, and flush waits for what is queued', async () => {
    const writes = Array.from({ length: 10 }, (_, i) => store.seen.add(`k${i}`, T0));
    assert.equal(typeof (await store.seen.has('k0')), 'boolean');
    await store.flush();
    assert.equal(await store.seen.has('k9'), true);
    await Promise.all(writes);
  });
});
