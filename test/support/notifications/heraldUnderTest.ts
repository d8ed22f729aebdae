/** Starting Herald (the real composition root) against the test doubles, and waiting for its inbox to drain. */
import { createHerald, type HeraldApp } from '../../../src/app/createHerald.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import type { ChangeEvent, LifecycleEvent } from '../../../src/model/changeEvents.js';
import type { NotificationHealth } from '../../../src/notifications/inbox/NotificationMetrics.js';

export interface HeraldEnv {
  clientId: string;
  authorityHost: string;
  dataDir: string;
  certFile?: string;
  keyFile?: string;
  certId?: string;
}

export function heraldEnvironment(env: HeraldEnv): NodeJS.ProcessEnv {
  return {
    BOT_AUTH: 'off',
    AAD_APP_CLIENT_ID: env.clientId,
    AAD_APP_CLIENT_SECRET: 'test-secret',
    PUBLIC_URL: 'https://herald.example.test',
    AAD_AUTHORITY_HOST: env.authorityHost,
    // Nothing in these tests reads Graph; a closed port makes any attempt fail fast.
    GRAPH_ENDPOINT: 'https://127.0.0.1:9',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: env.dataDir,
    LOG_LEVEL: 'silent',
    ...(env.certFile ? { NOTIFICATION_CERT_FILE: env.certFile } : {}),
    ...(env.keyFile ? { NOTIFICATION_KEY_FILE: env.keyFile } : {}),
    ...(env.certId ? { NOTIFICATION_CERT_ID: env.certId } : {}),
  };
}

export interface RunningHerald {
  app: HeraldApp;
  url: string;
  changes: ChangeEvent[];
  lifecycle: LifecycleEvent[];
  stop(): Promise<void>;
}

export async function startHerald(env: HeraldEnv): Promise<RunningHerald> {
  const app = await createHerald(loadConfig(heraldEnvironment(env)), silentLogger());
  const changes: ChangeEvent[] = [];
  const lifecycle: LifecycleEvent[] = [];
  app.context.events.on('changes', (unit) => unit.afterCommit(() => void changes.push(...unit.changes)));
  app.context.events.on('lifecycle', (e) => void lifecycle.push(e));
  const url = await app.start();
  return { app, url, changes, lifecycle, stop: () => app.stop() };
}

export async function notificationHealth(url: string): Promise<NotificationHealth> {
  const response = await fetch(`${url}/healthz`);
  const body = (await response.json()) as { notifications: NotificationHealth };
  return body.notifications;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until every accepted item was processed or dropped (polls /healthz; a test timeout bounds it). */
export async function settled(url: string, expectedItems?: number): Promise<NotificationHealth> {
  for (;;) {
    const health = await notificationHealth(url);
    const done = health.inbox === 0 && health.batches === 0 && health.retrying === 0 && health.processed + health.dropped >= (expectedItems ?? health.received);
    if (done) return health;
    await pause(10);
  }
}
