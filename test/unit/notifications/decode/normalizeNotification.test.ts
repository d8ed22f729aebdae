import assert from 'node:assert/strict';
import { normalizeNotification, readEnvelope } from '../../../../src/notifications/decode/normalizeNotification.js';

describe('normalizeNotification', () => {
  it('reads the documented camelCase item', () => {
    const item = normalizeNotification(
      {
        subscriptionId: 's1',
        changeType: 'created',
        clientState: 'secret',
        tenantId: 't1',
        resource: "chats('c')",
        resourceData: { id: 'c', '@odata.type': '#microsoft.graph.chat', '@odata.id': "chats('c')" },
        encryptedContent: { data: 'd', dataKey: 'k', dataSignature: 's', encryptionCertificateId: 'id', encryptionCertificateThumbprint: 'AB' },
        somethingNew: { ignored: true },
      },
      3,
    );
    assert.equal(item?.index, 3);
    assert.equal(item?.changeType, 'created');
    assert.equal(item?.resourceData?.odataType, '#microsoft.graph.chat');
    assert.deepEqual(item?.encryptedContent, { data: 'd', dataKey: 'k', dataSignature: 's', encryptionCertificateId: 'id', encryptionCertificateThumbprint: 'AB' });
  });

  it('reads the doc examples\' other casing: EncryptedContent, "Created", any property casing', () => {
    const item = normalizeNotification({ SubscriptionId: 's1', ChangeType: 'Created', EncryptedContent: { Data: 'd', DATAKEY: 'k' }, ResourceData: { '@ODATA.ID': 'x' } }, 0);
    assert.equal(item?.subscriptionId, 's1');
    assert.equal(item?.changeType, 'created');
    assert.equal(item?.encryptedContent?.data, 'd');
    assert.equal(item?.encryptedContent?.dataKey, 'k');
    assert.equal(item?.resourceData?.odataId, 'x');
  });

  it('maps lifecycle events in any casing and keeps unknown values visible', () => {
    assert.equal(normalizeNotification({ lifecycleEvent: 'ReauthorizationRequired' }, 0)?.lifecycleEvent, 'reauthorizationRequired');
    const unknown = normalizeNotification({ lifecycleEvent: 'unknownFutureValue', changeType: 'unknownFutureValue' }, 0);
    assert.equal(unknown?.lifecycleEvent, null);
    assert.equal(unknown?.rawLifecycleEvent, 'unknownFutureValue');
    assert.equal(unknown?.changeType, null);
  });

  it('returns null for items that are not objects', () => {
    assert.equal(normalizeNotification('x', 0), null);
    assert.equal(normalizeNotification(null, 0), null);
    assert.equal(normalizeNotification([1], 0), null);
  });
});

describe('readEnvelope', () => {
  it('needs an object with a value array (any casing) and reads validationTokens', () => {
    assert.deepEqual(readEnvelope({ Value: [1], ValidationTokens: ['t'] }), { ok: true, items: [1], validationTokens: ['t'] });
    assert.deepEqual(readEnvelope({ value: [] }), { ok: true, items: [], validationTokens: null });
    assert.equal(readEnvelope([]).ok, false);
    assert.equal(readEnvelope({ value: {} }).ok, false);
    assert.equal(readEnvelope('text').ok, false);
  });
});
