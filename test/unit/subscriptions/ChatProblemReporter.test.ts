import assert from 'node:assert/strict';
import { GraphRequestError } from '../../../src/graph/GraphRequestError.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { openSqliteMemory, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { ChatProblemReporter } from '../../../src/subscriptions/ChatProblemReporter.js';
import { installation } from '../../support/storage/storeRecords.js';

const CHAT = '19:problem@thread.v2';
const TENANT = 'tenant-a';
const refused = () => new GraphRequestError(403, 'Forbidden', 'Forbidden', TENANT, `GET /chats/${CHAT}/members`);

describe('chat problem reporter', () => {
  let store: SqliteStore;
  let posts: string[];
  let reporter: ChatProblemReporter;

  beforeEach(async () => {
    store = await openSqliteMemory();
    posts = [];
    reporter = new ChatProblemReporter({
      store,
      poster: {
        post: async (_installation, activity) => {
          posts.push(String(activity.text));
          return 'id';
        },
      },
      log: silentLogger(),
      clock: () => new Date('2026-06-01T12:00:00Z'),
    });
  });
  afterEach(() => store.close());

  it('records a refusal for a chat Herald is in, and explains it there once', async () => {
    await store.installations.put(CHAT, installation(CHAT, TENANT));
    await reporter.report(CHAT, TENANT, refused());
    await reporter.report(CHAT, TENANT, refused());
    assert.ok((await store.chats.get(CHAT))?.problem);
    assert.equal((await store.history.page(CHAT)).filter((e) => e.kind === 'problem').length, 1);
    assert.equal(posts.length, 1);
  });

  it('says nothing of a refusal for a chat Herald was removed from meanwhile (the removal took its consent)', async () => {
    await store.installations.put(CHAT, { ...installation(CHAT, TENANT), status: 'uninstalled', uninstalledAt: '2026-06-01T11:59:00.000Z', uninstallReason: 'removed' });
    await reporter.report(CHAT, TENANT, refused());
    assert.equal((await store.chats.get(CHAT))?.problem ?? null, null);
    assert.deepEqual(await store.history.page(CHAT), []);
    assert.deepEqual(posts, []);
  });
});
