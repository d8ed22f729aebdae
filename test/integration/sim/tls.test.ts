import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoopbackCa, type LoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch } from '../../../sim/doubles/tls/trustCaForFetch.js';

describe('loopback TLS for the doubles', () => {
  let ca: LoopbackCa;
  let server: Server;
  let port: number;

  before(async () => {
    ca = await createLoopbackCa();
    server = createServer({ cert: ca.certPem, key: ca.keyPem }, (_req, res) => res.end('hello over tls'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('issues an RSA-2048 SHA-256 server certificate for 127.0.0.1, localhost and ::1, signed by the CA', () => {
    const caCert = new X509Certificate(ca.caCertPem);
    const cert = new X509Certificate(ca.certPem);
    assert.equal(caCert.ca, true);
    assert.equal(cert.ca, false);
    assert.ok(cert.verify(caCert.publicKey));
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
  });

  it('makes the global fetch trust the CA only while trusted', async () => {
    await assert.rejects(fetch(`https://127.0.0.1:${port}/`), (error: Error & { cause?: { code?: string } }) => {
      assert.equal(error.cause?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      return true;
    });

    const restore = trustCaForFetch(ca.caCertPem);
    try {
      assert.equal(await (await fetch(`https://127.0.0.1:${port}/`)).text(), 'hello over tls');
      assert.equal(await (await fetch(`https://localhost:${port}/`)).text(), 'hello over tls');
    } finally {
      restore();
    }

    await assert.rejects(fetch(`https://127.0.0.1:${port}/`));
  });

  it('reuses a persisted CA from a directory and regenerates when missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-ca-'));
    try {
      const first = await createLoopbackCa({ dir });
      const second = await createLoopbackCa({ dir });
      assert.equal(second.caCertPem, first.caCertPem);
      assert.equal(second.certPem, first.certPem);
      const elsewhere = await createLoopbackCa({ dir: join(dir, 'other') });
      assert.notEqual(elsewhere.caCertPem, first.caCertPem);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('regenerates a persisted CA whose certificates are about to expire', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-ca-'));
    try {
      const first = await createLoopbackCa({ dir, validityDays: 30 });
      const later = new Date(Date.now() + 40 * 24 * 60 * 60 * 1000);
      const second = await createLoopbackCa({ dir, clock: () => later });
      assert.notEqual(second.caCertPem, first.caCertPem);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('trustCaForFetch restores in any order', () => {
  it('never reinstates a dispatcher that was already restored', async () => {
    const ca = await createLoopbackCa();
    const server = createServer({ cert: ca.certPem, key: ca.keyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const restoreFirst = trustCaForFetch(ca.caCertPem);
      const restoreSecond = trustCaForFetch(ca.caCertPem);
      restoreFirst();
      assert.equal(await (await fetch(url)).text(), 'ok', 'the second trust still holds');
      restoreSecond();
      await assert.rejects(fetch(url), (error: Error & { cause?: { code?: string } }) => {
        assert.equal(error.cause?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'back to the original dispatcher, not a closed one');
        return true;
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
