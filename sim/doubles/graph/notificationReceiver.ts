/**
 * A stand-in for a subscriber's webhook (plain http on loopback): answers Graph's validation handshake
 * and records notification POSTs. Used by the doubles' own tests and handy for anyone testing against
 * the Graph double without Herald.
 */
import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { readBody } from '../tls/httpsServer.js';
import type { NotificationCollection } from './deliveryQueue.js';

export type HandshakeMode = 'echo' | 'wrongBody' | 'status500' | 'hang';

export interface ReceivedPost {
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: string;
}

export interface NotificationReceiver {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  notificationUrl: string;
  lifecycleUrl: string;
  handshakeMode: HandshakeMode;
  /** Statuses for the next notification POSTs, consumed in order; default 202 afterwards. */
  nextStatuses: number[];
  handshakes: ReceivedPost[];
  posts: ReceivedPost[];
  /** Parsed bodies of notification POSTs to the notification URL. */
  notifications(): NotificationCollection[];
  /** Parsed bodies of POSTs to the lifecycle URL. */
  lifecycle(): NotificationCollection[];
  close(): Promise<void>;
}

export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const hanging = new Set<IncomingMessage>();
  const receiver = {} as NotificationReceiver;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const post: ReceivedPost = { path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], body: await readBody(req) };
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        receiver.handshakes.push(post);
        switch (receiver.handshakeMode) {
          case 'echo':
            res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
            return res.end(token);
          case 'wrongBody':
            res.writeHead(200, { 'Content-Type': 'text/plain' });
            return res.end(`"${token}"`);
          case 'status500':
            res.writeHead(500);
            return res.end();
          case 'hang':
            hanging.add(req);
            return;
        }
      }
      receiver.posts.push(post);
      res.writeHead(receiver.nextStatuses.shift() ?? 202);
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const parse = (path: string) => receiver.posts.filter((p) => p.path === path).map((p) => JSON.parse(p.body) as NotificationCollection);
  Object.assign(receiver, {
    origin,
    notificationUrl: `${origin}/api/notifications`,
    lifecycleUrl: `${origin}/api/notifications/lifecycle`,
    handshakeMode: 'echo',
    nextStatuses: [],
    handshakes: [],
    posts: [],
    notifications: () => parse('/api/notifications'),
    lifecycle: () => parse('/api/notifications/lifecycle'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } satisfies NotificationReceiver);
  return receiver;
}

/** A self-signed RSA certificate for `encryptionCertificate`, with its private key for decrypting. */
export async function createEncryptionCertificate(options: { modulusLength?: number } = {}): Promise<{ base64Der: string; privateKeyPem: string }> {
  const crypto = webcrypto as unknown as Crypto;
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: options.modulusLength ?? 2048 };
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=notification encryption', keys, signingAlgorithm: algorithm }, crypto);
  return {
    base64Der: Buffer.from(cert.rawData).toString('base64'),
    privateKeyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
