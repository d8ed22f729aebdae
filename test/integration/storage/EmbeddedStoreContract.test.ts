import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncStoreFrom } from '../../../src/storage/asyncStoreFrom.js';
import { LowdbStore } from '../../../src/storage/LowdbStore.js';
import { storeContractSuite } from '../../support/storage/storeContractSuite.js';

describe('store contract: the embedded store (through asyncStoreFrom)', () => {
  storeContractSuite({
    migrationVersion: null,
    losesDatabase: false,
    world: async () => {
      const store = await LowdbStore.memory();
      // Two instances of the embedded store are two adapters over the one store of this process.
      return { a: asyncStoreFrom(store), b: asyncStoreFrom(store), teardown: () => store.close() };
    },
  });
});

describe('store contract: the embedded file store, journal and snapshots (through asyncStoreFrom)', () => {
  storeContractSuite({
    migrationVersion: null,
    losesDatabase: false,
    world: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'herald-contract-'));
      const store = await LowdbStore.openFile(dir);
      return {
        a: asyncStoreFrom(store),
        b: asyncStoreFrom(store),
        teardown: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  });
});
