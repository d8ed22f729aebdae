import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../../src/storage/schema/migrations.js';
import { openSqliteMemory, openSqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { storeContractSuite } from '../../support/storage/storeContractSuite.js';

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
