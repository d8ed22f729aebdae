/**
 * Encrypted no-op chat updates sent to Herald as Graph sends them, for the subscriptions Herald itself
 * created at the Graph double (their ids, clientState and Herald's encryption certificate), with
 * validation tokens from the login double. The sending happens in a worker thread
 * (notificationLoadWorker.ts).
 */
import { Worker } from 'node:worker_threads';
import type { NotifiedChat } from '../../sim/doubles/graph/payloads.js';
import type { BenchWorld, InstalledChat } from './benchWorld.js';

export interface LoadSubscription {
  id: string;
  clientState: string;
  tenantId: string;
  chatId: string;
  expirationDateTime: string;
  /** Herald's certificate as it gave it to Graph (base64 DER) and its id. */
  encryptionCertificate: string;
  encryptionCertificateId: string;
  /** The chat as Graph would send it; only `lastUpdatedDateTime` changes from item to item. */
  chat: NotifiedChat;
}

export interface LoadPlan {
  /** Where the POSTs go: Herald, or a proxy in front of several. */
  url: string;
  subscriptions: LoadSubscription[];
  /** One validation token per tenant. */
  validationTokens: Record<string, string>;
  /** Items in all, spread round robin over the subscriptions, `itemsPerPost` to a POST. */
  items: number;
  itemsPerPost: number;
  mode: 'burst' | 'rate';
  /** burst: POSTs in flight. */
  inFlight: number;
  /** rate: POSTs per second. */
  postsPerSecond: number;
  /** `lastUpdatedDateTime` of item n is startStamp + n ms. */
  startStamp: number;
}

export type LoadMessage = { type: 'ready' } | { type: 'done'; latenciesMs: number[]; failures: number; elapsedMs: number };
export type LoadResult = Extract<LoadMessage, { type: 'done' }>;

export type LoadShape = Pick<LoadPlan, 'items' | 'itemsPerPost'> & ({ mode: 'burst'; inFlight: number } | { mode: 'rate'; postsPerSecond: number });

/** The chat subscriptions (`/chats/{id}`, changeType updated) Herald holds at the Graph double for these chats. */
export async function chatUpdateTargets(world: BenchWorld, chats: readonly InstalledChat[]): Promise<Pick<LoadPlan, 'subscriptions' | 'validationTokens'>> {
  const { graph, login } = world.simulated.graphWorld;
  const wanted = new Set(chats.map((c) => c.chatId));
  const subscriptions: LoadSubscription[] = [];
  const audiences = new Map<string, string>();
  for (const s of graph.exportSubscriptions()) {
    if (s.target.kind !== 'chat' || !s.target.chatId || !wanted.has(s.target.chatId)) continue;
    if (!s.encryptionCertificate || !s.encryptionCertificateId || s.clientState === null) throw new Error(`subscription ${s.id} has no encryption certificate or clientState`);
    subscriptions.push({
      id: s.id,
      clientState: s.clientState,
      tenantId: s.tenantId,
      chatId: s.target.chatId,
      expirationDateTime: s.expirationDateTime,
      encryptionCertificate: s.encryptionCertificate,
      encryptionCertificateId: s.encryptionCertificateId,
      chat: world.chatPayload(s.target.chatId),
    });
    audiences.set(s.tenantId, s.notificationUrlAppId ?? s.clientId);
  }
  if (subscriptions.length !== wanted.size) throw new Error(`Herald holds chat subscriptions for ${subscriptions.length} of ${wanted.size} chats`);
  const validationTokens: Record<string, string> = {};
  for (const [tenantId, audience] of audiences) validationTokens[tenantId] = await login.signValidationToken({ tenantId, audience });
  return { subscriptions, validationTokens };
}

export interface StartedLoad {
  /** Every body is built and the worker waits for go(). */
  ready: Promise<void>;
  go(): Promise<LoadResult>;
}

// Chat updates of later loads must be newer than those of earlier ones (else they are stale).
let nextStamp = 0;

export function startLoad(url: string, targets: Pick<LoadPlan, 'subscriptions' | 'validationTokens'>, shape: LoadShape): StartedLoad {
  const startStamp = Math.max(Date.now(), nextStamp);
  nextStamp = startStamp + shape.items + 1;
  const plan: LoadPlan = { url, ...targets, inFlight: 4, postsPerSecond: 1, ...shape, startStamp };
  // Loader hooks are not inherited by workers on Node 20, so the worker registers tsx itself.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./notificationLoadWorker.ts', import.meta.url).href)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: plan });
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: LoadMessage) => (message.type === 'ready' ? resolve() : reject(new Error('unexpected message'))));
  });
  return {
    ready,
    go: () =>
      new Promise((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (message: LoadMessage) => {
          void worker.terminate();
          if (message.type === 'done') resolve(message);
          else reject(new Error('unexpected message'));
        });
        worker.postMessage('go');
      }),
  };
}
