import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../../src/storage/schema/migrations.js';
import { openSqliteMemory, openSqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { storeContractSuite } from '../../support/storage/storeContractSuite.js';
import { batch } from '../../support/storage/storeRecords.js';

const newest = Math.max(...MIGRATIONS.map((m) => m.version));

describe('store contract: SQLite in memory', () => {
  storeContractSuite({
    migrationVersion: newest,
    losesDatabase: false,
    world: async () => {
      const store = await openSqliteMemory();
      // One process holds an embedded store: its "two instances" are two callers of the one store.
      return { a: store, b: store, teardown: () => store.close() };
    },
  });
});

describe('store contract: SQLite in a file (DATA_DIR/herald.db)', () => {
  storeContractSuite({
    migrationVersion: newest,
    losesDatabase: false,
    world: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'herald-contract-'));
      const store = await openSqliteStore(dir);
      return {
        a: store,
        b: store,
        teardown: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  });
});

describe('SQLite in a file: reopened after its process died', () => {
  it('frees the leases the dead process held: its work is claimable at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-leases-'));
    try {
      const at = new Date('2026-03-01T10:00:00.000Z');
      const dead = await openSqliteStore(dir);
      await dead.inbox.putClaimed('b1', batch('b1', at.toISOString()), { owner: 'dead', at, leaseMs: 30_000 });
      await dead.close();
      const next = await openSqliteStore(dir);
      try {
        assert.deepEqual((await next.inbox.claim({ owner: 'next', at, leaseMs: 30_000, limit: 10 })).map((c) => c.key), ['b1']);
      } finally {
        await next.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
