/**
 * Graph's side of a notification load, in a worker thread so building and sending requests does not
 * share the bench process's event loop with the doubles: encrypts no-op chat updates for the
 * subscriptions' certificate as Graph does (every body built before the clock starts), then sends them
 * either as fast as allowed (`burst`, so many requests in flight) or open-loop at a fixed rate (`rate`),
 * timing each request to its 202.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { encryptResourceData, parseEncryptionCertificate, type EncryptionCertificate } from '../../sim/doubles/graph/encryption.js';
import { CHAT_ODATA_TYPE, chatResource } from '../../sim/doubles/graph/payloads.js';
import type { LoadMessage, LoadPlan, LoadSubscription } from './notificationLoad.js';

const plan = workerData as LoadPlan;

const certificates = new Map<string, EncryptionCertificate>();
function certificateOf(subscription: LoadSubscription): EncryptionCertificate {
  let certificate = certificates.get(subscription.encryptionCertificate);
  if (!certificate) {
    const parsed = parseEncryptionCertificate(subscription.encryptionCertificate);
    if (!parsed.ok) throw new Error(`subscription ${subscription.id}: ${parsed.reason}`);
    certificate = parsed.certificate;
    certificates.set(subscription.encryptionCertificate, certificate);
  }
  return certificate;
}

/**
 * A chat update that changes nothing Herald announces: the chat as it is, with a later
 * `lastUpdatedDateTime` (so each item is a new change, in order per chat, not a duplicate).
 */
function noOpChatUpdate(subscription: LoadSubscription, sequence: number) {
  const resource = chatResource(subscription.chatId);
  const lastUpdatedDateTime = new Date(plan.startStamp + sequence).toISOString();
  return {
    subscriptionId: subscription.id,
    subscriptionExpirationDateTime: subscription.expirationDateTime,
    changeType: 'updated',
    clientState: subscription.clientState,
    tenantId: subscription.tenantId,
    resource,
    resourceData: { id: subscription.chatId, '@odata.type': CHAT_ODATA_TYPE, '@odata.id': resource },
    encryptedContent: encryptResourceData({ ...subscription.chat, lastUpdatedDateTime }, certificateOf(subscription), subscription.encryptionCertificateId),
  };
}

const bodies: Buffer[] = [];
for (let sent = 0; sent < plan.items; sent += plan.itemsPerPost) {
  const items = Array.from({ length: Math.min(plan.itemsPerPost, plan.items - sent) }, (_, i) => {
    const n = sent + i;
    return noOpChatUpdate(plan.subscriptions[n % plan.subscriptions.length] as LoadSubscription, n);
  });
  const tenants = [...new Set(items.map((i) => i.tenantId))];
  bodies.push(Buffer.from(JSON.stringify({ value: items, validationTokens: tenants.map((t) => plan.validationTokens[t]) })));
}

// node:http with a keep-alive agent: far lighter than fetch, so the sender's own work hardly shows in the times.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const target = new URL('/api/notifications', plan.url);

function post(body: Buffer): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } },
      (response) => {
        response.resume();
        response.once('end', () => (response.statusCode === 202 ? resolve(performance.now() - started) : reject(new Error(`status ${response.statusCode}`))));
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

async function run(): Promise<Extract<LoadMessage, { type: 'done' }>> {
  const latenciesMs: number[] = [];
  let failures = 0;
  const started = performance.now();
  const send = async (body: Buffer) => {
    try {
      latenciesMs.push(await post(body));
    } catch {
      failures++;
    }
  };
  if (plan.mode === 'burst') {
    let next = 0;
    await Promise.all(
      Array.from({ length: plan.inFlight }, async () => {
        while (next < bodies.length) await send(bodies[next++] as Buffer);
      }),
    );
  } else {
    // Open loop: requests leave on schedule whether or not earlier ones were answered.
    const interval = 1000 / plan.postsPerSecond;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < bodies.length; i++) {
      const wait = started + i * interval - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(send(bodies[i] as Buffer));
    }
    await Promise.all(inFlight);
  }
  return { type: 'done', latenciesMs, failures, elapsedMs: performance.now() - started };
}

parentPort?.once('message', () => {
  void run().then((result) => {
    agent.destroy();
    parentPort?.postMessage(result);
  });
});
parentPort?.postMessage({ type: 'ready' } satisfies LoadMessage);
