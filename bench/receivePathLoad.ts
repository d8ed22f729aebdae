/**
 * The Graph side of the receive-path benchmark, in a worker thread so building and sending requests
 * does not share Herald's event loop: encrypts member-added notifications for Herald's certificate (as
 * Graph does), then either sends everything as fast as allowed, or single notifications at a fixed rate
 * while measuring the time to each 202.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { encryptResourceData } from '../sim/doubles/graph/encryption.js';

export interface LoadSubscription {
  id: string;
  clientState: string;
  tenantId: string;
  chatId: string;
}

export interface LoadPlan {
  url: string;
  certPem: string;
  certId: string;
  /** One validation token per tenant. */
  tokens: Record<string, string>;
  subscriptions: LoadSubscription[];
  mode: 'burst' | 'rate';
  notifications: number;
  batchSize: number;
  /** burst: requests in flight. */
  concurrency: number;
  /** rate: notifications per second. */
  perSecond: number;
}

export type LoadMessage = { type: 'ready' } | { type: 'done'; latenciesMs: number[]; failures: number; elapsedMs: number };

const plan = workerData as LoadPlan;
const cert = new X509Certificate(plan.certPem);
const certificate = { publicKey: cert.publicKey, thumbprint: cert.fingerprint.replace(/:/g, '') };

function memberAdded(subscription: LoadSubscription) {
  const userId = randomUUID();
  const id = Buffer.from(`0##${subscription.tenantId}##${subscription.chatId}##${userId}`).toString('base64');
  const resource = `chats('${subscription.chatId}')/members('${id}')`;
  const payload = { userId, email: null, tenantId: subscription.tenantId, id, roles: [], displayName: null, visibleHistoryStartDateTime: '1970-01-01T00:00:00Z', user: null };
  return {
    subscriptionId: subscription.id,
    changeType: 'created',
    clientState: subscription.clientState,
    subscriptionExpirationDateTime: '2099-01-01T00:00:00Z',
    resource,
    resourceData: { id, '@odata.type': '#microsoft.graph.aadUserConversationMember', '@odata.id': resource },
    encryptedContent: encryptResourceData(payload, certificate, plan.certId),
    tenantId: subscription.tenantId,
  };
}

// Build every body before the clock starts.
const bodies: Buffer[] = [];
for (let sent = 0; sent < plan.notifications; sent += plan.batchSize) {
  const items = Array.from({ length: Math.min(plan.batchSize, plan.notifications - sent) }, (_, i) =>
    memberAdded(plan.subscriptions[(sent + i) % plan.subscriptions.length] as LoadSubscription),
  );
  const tenants = [...new Set(items.map((i) => i.tenantId))];
  bodies.push(Buffer.from(JSON.stringify({ value: items, validationTokens: tenants.map((t) => plan.tokens[t]) })));
}

// node:http with a keep-alive agent: far lighter than fetch, so the sender's own garbage collection
// hardly shows in the measured times.
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

async function run(): Promise<LoadMessage> {
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
      Array.from({ length: plan.concurrency }, async () => {
        while (next < bodies.length) await send(bodies[next++] as Buffer);
      }),
    );
  } else {
    // Open loop: requests leave on schedule whether or not earlier ones were answered.
    const interval = (1000 * plan.batchSize) / plan.perSecond;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < bodies.length; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
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
