import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type sinon from 'sinon';
import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import type { Timers } from '../../../src/kernel/timers.js';
import { advance, fakeTime, SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

/** A PEM certificate as Graph takes it (base64 DER) and its thumbprint. */
function described(certPem: string): { base64: string; thumbprint: string } {
  return {
    base64: certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''),
    thumbprint: new X509Certificate(certPem).fingerprint.replace(/:/g, '').toUpperCase(),
  };
}

describe('encryption certificate rotated while Herald runs (same NOTIFICATION_CERT_ID)', function () {
  this.timeout(60_000);
  let h: SubscriptionHarness;
  let clock: sinon.SinonFakeTimers;
  let dir: string;
  let certFile: string;
  let keyFile: string;
  let timers: Timers;
  let old: { base64: string; thumbprint: string };

  async function writeCertificate(): Promise<{ base64: string; thumbprint: string }> {
    const generated = await generateNotificationCertificate({ now: new Date(), validityDays: 365 });
    await writeFile(keyFile, generated.keyPem, { mode: 0o600 });
    await writeFile(certFile, generated.certPem);
    return described(generated.certPem);
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-rotation-'));
    certFile = join(dir, 'notification.cert.pem');
    keyFile = join(dir, 'notification.key.pem');
    const time = fakeTime();
    clock = time.clock;
    timers = time.timers;
    old = await writeCertificate();
  });

  afterEach(async () => {
    await h?.close();
    clock?.restore();
    await rm(dir, { recursive: true, force: true });
  });

  it('is noticed within a day: subscriptions move to the new certificate, the old one decrypts until none uses it', async () => {
    h = await SubscriptionHarness.start({ timers, random: () => 0.5, env: { NOTIFICATION_CERT_FILE: certFile, NOTIFICATION_KEY_FILE: keyFile, NOTIFICATION_CERT_ID: 'herald-enc' } }, 1);
    const tenant = h.tenants[0] as string;
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    const keys = h.herald.modules.notifications.keys;
    assert.ok(h.live(tenant).every((s) => s.encryptionCertificate === old.base64));
    assert.ok((await h.stored()).every((r) => r.encryptionCertificateThumbprint === old.thumbprint), 'records keep the thumbprint');

    const next = await writeCertificate();
    await advance(h, clock, DAY + HOUR, 6 * HOUR);

    const live = h.live(tenant);
    assert.equal(live.length, 2);
    assert.ok(live.every((s) => s.encryptionCertificate === next.base64 && s.encryptionCertificateId === 'herald-enc'), 'Graph has the new certificate');
    assert.ok((await h.stored()).every((r) => r.encryptionCertificateThumbprint === next.thumbprint));
    assert.equal(keys.current().thumbprint, next.thumbprint);
    assert.ok(keys.find({ thumbprint: old.thumbprint }), 'the old certificate still decrypts (Graph retries for hours)');

    // Notifications through the new subscriptions are decrypted with the new certificate.
    const newcomer = h.gw.world.addUser({ displayName: 'Katherine Johnson', tenantId: tenant });
    h.gw.world.addMember(chatId, newcomer.id);
    await h.idle();
    await h.herald.modules.notifications.processor.idle();
    assert.ok(h.changes.some((c) => c.kind === 'memberAdded' && c.source === 'notification' && c.member.userId === newcomer.id));
    assert.equal(h.herald.modules.notifications.metrics.snapshot().droppedByReason.unknownCertificate ?? 0, 0);

    await advance(h, clock, DAY, 6 * HOUR);
    assert.equal(keys.find({ thumbprint: old.thumbprint }), undefined, 'retired once no subscription used it for a day');
    assert.ok(keys.find({ thumbprint: next.thumbprint }));
  });
});
