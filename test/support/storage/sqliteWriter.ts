/**
 * A process that writes to the embedded store as fast as it can and says which writes it was told are
 * done (`ACK <n>` once the promise of write n resolved): the kill -9 test kills it mid-write and checks
 * that every acknowledged write survived, once. DATA_DIR is the first argument.
 */
import { openSqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';

const store = await openSqliteStore(process.argv[2] ?? '.');
process.stdout.write('READY\n');
for (let n = 0; ; n++) {
  const at = new Date(Date.UTC(2026, 0, 1) + n).toISOString();
  // One unit of work as the receive path and the announcer make them: a batch, a history entry.
  await store.transaction(async (tx) => {
    await tx.inbox.put(`batch-${n}`, { id: `batch-${n}`, route: 'notifications', receivedAt: at, body: { value: [{ n }] } });
    await tx.history.append({ id: `entry-${n}`, chatId: '19:kill', at, kind: 'joined', actor: `person ${n}` });
  });
  process.stdout.write(`ACK ${n}\n`);
}
