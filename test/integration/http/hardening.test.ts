import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import { LoginDouble } from '../../../sim/doubles/login/LoginDouble.js';
import { createLoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { notificationHealth, startHerald, type RunningHerald } from '../../support/notifications/heraldUnderTest.js';

async function post(url: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : null };
}

describe('HTTP hardening (through createHerald)', () => {
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let dir: string;
  let herald: RunningHerald;

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    login = await LoginDouble.start({ tls: ca });
    dir = await mkdtemp(join(tmpdir(), 'herald-hardening-'));
    const generated = await generateNotificationCertificate({ now: new Date(), validityDays: 30 });
    await writeFile(join(dir, 'cert.pem'), generated.certPem);
    await writeFile(join(dir, 'key.pem'), generated.keyPem, { mode: 0o600 });
    herald = await startHerald({ clientId: randomUUID(), authorityHost: login.origin, dataDir: join(dir, 'data'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), certId: 'herald-hardening' });
  });

  after(async () => {
    await herald?.stop();
    await login?.close();
    restoreTrust?.();
    await rm(dir, { recursive: true, force: true });
  });

  describe('compressed request bodies', () => {
    for (const path of ['/api/notifications', '/api/notifications/lifecycle', '/api/messages']) {
      it(`answers 4xx to malformed gzip on ${path} and keeps serving`, async () => {
        const response = await post(`${herald.url}${path}`, 'this is not gzip', { 'Content-Encoding': 'gzip' });
        assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
        assert.equal((await fetch(`${herald.url}/healthz`)).status, 200);
      });
    }

    it('answers 415 with a JSON error to a gzip bomb (8 MB inflated) and stores nothing', async () => {
      const before = await notificationHealth(herald.url);
      const bomb = new Uint8Array(gzipSync(Buffer.from(`{"value":[{"padding":"${'x'.repeat(8 * 1024 * 1024)}"}]}`)));
      assert.ok(bomb.length < 64 * 1024);
      const response = await post(`${herald.url}/api/notifications`, bomb, { 'Content-Encoding': 'gzip' });
      assert.equal(response.status, 415);
      assert.equal((response.json as { code: string }).code, 'UnsupportedMediaType');
      assert.equal((await notificationHealth(herald.url)).received, before.received);
    });

    it('refuses deflate and br too, but accepts identity', async () => {
      for (const encoding of ['deflate', 'br', 'GZIP']) {
        assert.equal((await post(`${herald.url}/api/notifications`, '{"value":[]}', { 'Content-Encoding': encoding })).status, 415, encoding);
      }
      assert.equal((await post(`${herald.url}/api/notifications`, '{"value":[]}', { 'Content-Encoding': 'identity' })).status, 202);
    });
  });

  describe('deeply nested JSON', () => {
    const deepArray = `{"value":[${'['.repeat(10_000)}${']'.repeat(10_000)}]}`;
    const deepObject = `{"value":[${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}]}`;
    for (const [name, body] of [['array', deepArray], ['object', deepObject]] as const) {
      for (const path of ['/api/notifications', '/api/notifications/lifecycle', '/api/messages']) {
        it(`answers 400 to a 10,000-deep ${name} on ${path} and stores nothing`, async () => {
          const before = await notificationHealth(herald.url);
          const response = await post(`${herald.url}${path}`, body);
          assert.equal(response.status, 400);
          assert.match((response.json as { message: string }).message, /nested deeper/);
          const after = await notificationHealth(herald.url);
          assert.deepEqual([after.received, after.inbox], [before.received, 0]);
          assert.equal(await herald.app.context.store.installations.countInstalled(), 0, 'no activity was taken for an installation');
        });
      }
    }

    it('still accepts an ordinarily nested batch', async () => {
      const body = JSON.stringify({ value: [{ resourceData: { a: { b: { c: [[[1]]] } } } }] });
      // Not a valid notification item, but it is stored (202) rather than refused for its depth.
      assert.equal((await post(`${herald.url}/api/notifications`, body)).status, 202);
    });
  });

  describe('POST /api/messages with a body that is not an activity', () => {
    for (const [name, body] of [['{}', '{}'], ['[]', '[]'], ['null', 'null'], ['a number', '42'], ['no type', '{"text":"hi"}'], ['a non-string type', '{"type":7}'], ['an empty type', '{"type":""}']]) {
      it(`answers 400 with a JSON error to ${name}`, async () => {
        const response = await post(`${herald.url}/api/messages`, body);
        assert.equal(response.status, 400);
        assert.deepEqual(Object.keys(response.json as object).sort(), ['code', 'message']);
        assert.equal((response.json as { code: string }).code, 'BadRequest');
      });
    }

    it('answers 400 to a body that is not JSON at all', async () => {
      assert.equal((await post(`${herald.url}/api/messages`, 'hello', { 'Content-Type': 'text/plain' })).status, 400);
    });
  });
});
