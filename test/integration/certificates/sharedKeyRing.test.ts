import assert from 'node:assert/strict';
import { loadSharedKeyRing, sharedKeyRingRotation, syncSharedKeyRing, type SharedKeyRingDeps } from '../../../src/certificates/sharedKeyRing.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { openPostgresStore, type PostgresStore } from '../../../src/storage/postgres/PostgresStore.js';
import { freshSchema, type TestSchema } from '../../support/storage/testPostgres.js';

const DAY = 24 * 60 * 60 * 1000;
const MINUTE = 60_000;

describe('generated notification certificates shared by instances (DATABASE_URL)', function () {
  this.timeout(60_000);
  let db: TestSchema;
  let a: PostgresStore;
  let b: PostgresStore;
  let now: number;
  before(async () => {
    db = await freshSchema('certs');
  });
  after(async () => db?.drop());
  beforeEach(async () => {
    a = await openPostgresStore({ url: db.url, schema: db.schema });
    b = await openPostgresStore({ url: db.url, schema: db.schema });
    await db.admin(`TRUNCATE ${db.schema}.notification_certificates`);
    now = Date.parse('2026-12-03T12:00:00Z');
  });
  afterEach(async () => {
    await a?.close();
    await b?.close();
  });

  const deps = (store: PostgresStore): SharedKeyRingDeps => ({
    config: { notificationCert: { certFile: null, keyFile: null, certId: null } },
    certificates: store.certificates,
    locks: store.locks,
    log: silentLogger(),
    clock: () => new Date(now),
    policy: { validityDays: 60, renewBeforeDays: 30, keepExpiredDays: 30 },
  });

  it('generates one certificate when two instances start at the same moment, and both use it', async () => {
    const [ringA, ringB] = await Promise.all([loadSharedKeyRing(deps(a)), loadSharedKeyRing(deps(b))]);
    assert.equal((await a.certificates.list()).length, 1);
    assert.ok(ringA.primaryThumbprint);
    assert.equal(ringA.primaryThumbprint, ringB.primaryThumbprint);
    // Each can open what Graph encrypted for the other's subscriptions: the private key is the same.
    assert.ok(ringB.find({ thumbprint: ringA.primaryThumbprint }));
  });

  it('rotates near expiry: the new certificate is loaded everywhere first and becomes the primary only after the activation delay', async () => {
    const ringA = await loadSharedKeyRing(deps(a));
    const ringB = await loadSharedKeyRing(deps(b));
    const first = ringA.primaryThumbprint;
    now += 31 * DAY; // under 30 days left of 60
    assert.equal(await syncSharedKeyRing(ringA, deps(a)), false, 'A generated a new one but keeps the old primary for now');
    assert.equal((await a.certificates.list()).length, 2);
    assert.equal(ringA.primaryThumbprint, first);
    await syncSharedKeyRing(ringB, deps(b));
    assert.equal(ringB.size, 2, 'B has loaded the new certificate before anything is encrypted for it');
    assert.equal(ringB.primaryThumbprint, first);
    now += 6 * MINUTE;
    assert.equal(await syncSharedKeyRing(ringA, deps(a)), true);
    assert.equal(await syncSharedKeyRing(ringB, deps(b)), true);
    assert.notEqual(ringA.primaryThumbprint, first);
    assert.equal(ringA.primaryThumbprint, ringB.primaryThumbprint);
    assert.ok(ringB.find({ thumbprint: first }), 'the old one still decrypts notifications of subscriptions not moved yet');
  });

  it('does not load a retired certificate again from the store', async () => {
    const ring = await loadSharedKeyRing(deps(a));
    const first = ring.primaryThumbprint as string;
    now += 31 * DAY;
    await syncSharedKeyRing(ring, deps(a));
    now += 6 * MINUTE;
    await syncSharedKeyRing(ring, deps(a));
    const rotation = sharedKeyRingRotation(ring, deps(a));
    assert.equal(rotation.retire(first), true);
    await syncSharedKeyRing(ring, deps(a));
    assert.equal(ring.find({ thumbprint: first }), undefined);
    assert.equal(ring.size, 1);
  });

  it('forgets certificates expired longer than keepExpiredDays', async () => {
    await loadSharedKeyRing(deps(a));
    now += 100 * DAY; // the first expired 40 days ago
    const ring = await loadSharedKeyRing(deps(b));
    assert.equal(ring.size, 1, 'only the certificate generated now');
    assert.equal((await b.certificates.list()).length, 2);
  });
});
