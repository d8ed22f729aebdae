import assert from 'node:assert/strict';
import { lostTargets } from '../../../../src/notifications/inbox/lostTargets.js';

const TENANT = '7d3c2a10-0000-4000-8000-000000000001';
const CHAT = '19:00112233445566778899aabbccddeeff@thread.v2';

describe('what notifications given up were about', () => {
  const body = {
    value: [
      { subscriptionId: 's1', tenantId: TENANT, changeType: 'created', resource: `chats('${CHAT}')/members('MCMjMSMj')` },
      { subscriptionId: 's1', tenantId: TENANT, changeType: 'deleted', resource: `chats('${CHAT}')/members('MCMjMiMj')` },
      { subscriptionId: 's2', tenantId: TENANT, lifecycleEvent: 'missed' },
      'not an item',
    ],
  };

  it('names the chat of each unfinished item once, and keeps items that name only their subscription', () => {
    assert.deepEqual(lostTargets(body, [0, 1, 2, 3]), [
      { tenantId: TENANT, chatId: CHAT, subscriptionId: 's1' },
      { tenantId: TENANT, chatId: null, subscriptionId: 's2' },
    ]);
  });

  it('looks only at the items it is given, and at nothing in a body that is not a notification collection', () => {
    assert.deepEqual(lostTargets(body, [2]), [{ tenantId: TENANT, chatId: null, subscriptionId: 's2' }]);
    assert.deepEqual(lostTargets({ nothing: true }, [0]), []);
  });
});
