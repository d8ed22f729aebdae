import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CERTIFICATE_DIR } from '../../../src/certificates/loadNotificationKeyRing.js';
import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import { derivedCertificateId } from '../../../src/certificates/NotificationKey.js';
import { LoginDouble } from '../../../sim/doubles/login/LoginDouble.js';
import { startHttpsServer, type RunningHttpsServer } from '../../../sim/doubles/tls/httpsServer.js';
import { createLoopbackCa, type LoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { openSqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { GraphNotifier, postJson, subscriptionRecord } from '../../support/notifications/graphNotifications.js';
import { heraldEnvironment, settled, startHerald } from '../../support/notifications/heraldUnderTest.js';
import { startHeraldProcess } from '../../support/process/heraldProcess.js';

describe('notification receive path: crashes and restarts', () => {
  let ca: LoopbackCa;
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let dir: string;
  const clientId = randomUUID();
  const tenantId = randomUUID();
  const chatId = '19:00112233445566778899aabbccddeeff@thread.v2';

  before(async () => {
    ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    login = await LoginDouble.start({ tls: ca });
  });
  after(async () => {
    await login.close();
    restoreTrust();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-recovery-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function certificateFiles(name: string) {
    const generated = await generateNotificationCertificate({ now: new Date(), validityDays: 30 });
    await writeFile(join(dir, `${name}.cert.pem`), generated.certPem);
    await writeFile(join(dir, `${name}.key.pem`), generated.keyPem, { mode: 0o600 });
    return { certFile: join(dir, `${name}.cert.pem`), keyFile: join(dir, `${name}.key.pem`), certPem: generated.certPem };
  }

  async function seedSubscription(dataDir: string) {
    const store = await openSqliteStore(dataDir);
    const subscription = subscriptionRecord({ tenantId, chatId });
    await store.subscriptions.put(subscription.id, subscription);
    await store.close();
    return subscription;
  }

  it('processes a batch accepted with 202 exactly once after Herald was killed before processing it', async function () {
    this.timeout(120_000);
    const dataDir = join(dir, 'data');
    const cert = await certificateFiles('herald');
    const subscription = await seedSubscription(dataDir);
    const notifier = new GraphNotifier({ login, audience: clientId, certificate: { id: 'herald-crash', certPem: cert.certPem } });
    const member = { userId: randomUUID(), tenantId };

    // The first Herald cannot finish processing: its key set endpoint never answers.
    let stalled: RunningHttpsServer | null = null;
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.caCertPem);
    let child: ChildProcess | null = null;
    try {
      stalled = await startHttpsServer(ca, () => new Promise<void>(() => {}));
      const env = heraldEnvironment({ clientId, authorityHost: stalled.origin, dataDir, certFile: cert.certFile, keyFile: cert.keyFile, certId: 'herald-crash' });
      // What npm start runs, trusting the doubles' CA as an operator trusts a private CA.
      const started = startHeraldProcess(dir, dataDir, { ...(env as Record<string, string>), LOG_LEVEL: 'info', NODE_EXTRA_CA_CERTS: caFile });
      child = started.child;
      const response = await postJson(`${await started.url}/api/notifications`, await notifier.batch([notifier.memberItem(subscription, { chatId, member })]));
      assert.equal(response.status, 202);
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await stalled?.close();
    }

    // Started again on the same DATA_DIR, with a reachable identity platform.
    const herald = await startHerald({ clientId, authorityHost: login.origin, dataDir, certFile: cert.certFile, keyFile: cert.keyFile, certId: 'herald-crash' });
    try {
      const health = await settled(herald.url, 1);
      assert.deepEqual(herald.changes.map((c) => c.kind === 'memberAdded' && c.member.userId), [member.userId]);
      assert.deepEqual([health.processed, health.dropped, health.inbox], [1, 0, 0]);
      assert.equal(await herald.app.context.store.inbox.count(), 0);
    } finally {
      await herald.stop();
    }

    // …and a third start has nothing left to replay.
    const again = await startHerald({ clientId, authorityHost: login.origin, dataDir, certFile: cert.certFile, keyFile: cert.keyFile, certId: 'herald-crash' });
    try {
      const health = await settled(again.url, 0);
      assert.equal(again.changes.length, 0);
      assert.equal(health.inbox, 0);
    } finally {
      await again.stop();
    }
  });

  it('keeps decrypting for the previous certificate after switching to a configured one (rotation)', async () => {
    const dataDir = join(dir, 'data');
    const subscription = await seedSubscription(dataDir);

    // First start: no certificate configured, Herald generates one into DATA_DIR.
    const first = await startHerald({ clientId, authorityHost: login.origin, dataDir });
    await first.stop();
    const files = await readdir(join(dataDir, CERTIFICATE_DIR));
    const generatedPem = await readFile(join(dataDir, CERTIFICATE_DIR, files.find((f) => f.endsWith('.cert.pem')) ?? ''), 'utf8');
    const generatedId = derivedCertificateId(new X509Certificate(generatedPem).fingerprint);

    // Second start: an operator-provided certificate becomes the primary one.
    const configured = await certificateFiles('operator');
    const herald = await startHerald({ clientId, authorityHost: login.origin, dataDir, certFile: configured.certFile, keyFile: configured.keyFile, certId: 'herald-operator' });
    try {
      const stranger = await generateNotificationCertificate({ now: new Date(), validityDays: 30 });
      const notifier = new GraphNotifier({ login, audience: clientId, certificate: { id: generatedId, certPem: generatedPem } });
      const people = [randomUUID(), randomUUID(), randomUUID()].map((userId) => ({ userId, tenantId }));
      const body = await notifier.batch([
        notifier.memberItem(subscription, { chatId, member: people[0]! }),
        notifier.memberItem(subscription, { chatId, member: people[1]!, certificate: { id: 'herald-operator', certPem: configured.certPem } }),
        notifier.memberItem(subscription, { chatId, member: people[2]!, certificate: { id: 'unknown-id', certPem: stranger.certPem } }),
      ]);
      assert.equal((await postJson(`${herald.url}/api/notifications`, body)).status, 202);
      const health = await settled(herald.url, 3);
      assert.deepEqual(herald.changes.map((c) => c.kind === 'memberAdded' && c.member.userId), [people[0]!.userId, people[1]!.userId]);
      assert.deepEqual(health.droppedByReason, { unknownCertificate: 1 });
    } finally {
      await herald.stop();
    }
  });
});
