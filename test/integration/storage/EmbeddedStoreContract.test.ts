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
