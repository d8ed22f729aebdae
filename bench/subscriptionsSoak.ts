import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { GraphCallCounts } from '../src/graph/GraphCallStats.js';
import { advance, fakeTime, SubscriptionHarness } from '../test/support/subscriptions/subscriptionHarness.js';

export interface SubscriptionsSoakOptions {
  /** Group chats Herald is installed in (default 100). */
  chats?: number;
  /** Tenants the chats are spread over (default 3). */
  tenants?: number;
  /** Simulated days (default 7). */
  days?: number;
  /** With TEAMS_APP_ID: one tenant-wide pair per tenant on top of the per-chat pairs (default true). */
  tenantWide?: boolean;
  /** Restart Herald half-way through (default true): the start-up reconcile must adopt, not duplicate. */
  restartMidway?: boolean;
  /** Fake-time step between checks for finished I/O (default 30 minutes). */
  stepMinutes?: number;
}

export interface SubscriptionsSoakReport {
  chats: number;
  tenants: number;
  days: number;
  /** Subscriptions Herald should have: 2 per chat, plus 2 per tenant with the tenant-wide pair. */
  expected: number;
  /** Live at the Graph double for Herald's app at the end. */
  live: number;
  stored: number;
  /** Live subscriptions for a resource that already had one (must be 0). */
  duplicates: number;
  /** Stored subscriptions Graph does not have or that are past their renewal (under 12 h left; must be 0). */
  notAlive: number;
  /** Each of those: what is stored, and what Graph says (or that it has no such subscription). */
  notAliveDetail: string[];
  /** Subscriptions Graph created during the simulated days (after set-up): only what a restart or failure needed. */
  createdDuringRun: number;
  /** Graph calls during set-up (installs: creates, handshakes are Graph's, baselines). */
  setup: GraphCallCounts;
  /** Graph calls during the simulated days (renewals, start-up reconcile, ...). */
  run: GraphCallCounts;
  perChatPerDay: { renewals: number; graphCalls: number };
  /** Token requests to the login service during the run, per tenant on average. */
  tokenRequestsPerTenant: number;
  wallMs: number;
  /** Of which installing the chats. */
  setupWallMs: number;
}

const DAY = 24 * 60 * 60_000;
/**
 * A subscription is renewed when a quarter of its 4,230 minutes is left (about 17.6 h, up to a fifth
 * earlier at random), so a healthy one may have less than a day left at any moment; one with under
 * 12 hours left has missed its renewal.
 */
const OVERDUE_MS = 12 * 60 * 60_000;
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Seven simulated days of subscription upkeep: Herald (createHerald + subscription manager) against the
 * Graph and login doubles over real HTTP, with a sinon fake clock for `Date` and the subscription timer
 * wheel. Installs `chats` chats across `tenants` tenants, lets the days pass (optionally restarting
 * Herald midway), and reports the end state and the Graph calls made.
 */
export async function runSubscriptionsSoak(options: SubscriptionsSoakOptions = {}): Promise<SubscriptionsSoakReport> {
  const chats = options.chats ?? 100;
  const tenants = options.tenants ?? 3;
  const days = options.days ?? 7;
  const tenantWide = options.tenantWide ?? true;
  const step = (options.stepMinutes ?? 30) * 60_000;
  const started = performance.now();
  const time = fakeTime();
  let h: SubscriptionHarness | null = null;
  try {
    h = await SubscriptionHarness.start({ timers: time.timers, teamsAppId: tenantWide, billingModelB: tenantWide }, tenants);
    for (let i = 0; i < chats; i++) {
      await h.install(h.createChat(h.tenants[i % tenants] as string, `Chat ${i}`));
    }
    await h.idle();
    const setup = h.stats.snapshot();
    const setupMs = performance.now() - started;
    h.stats.reset();
    h.gw.login.resetTokenRequestCounts();

    const half = Math.floor(days / 2) * DAY;
    if (options.restartMidway ?? true) {
      await advance(h, time.clock, half, step);
      await h.restart();
      await advance(h, time.clock, days * DAY - half, step);
    } else {
      await advance(h, time.clock, days * DAY, step);
    }

    const run = h.stats.snapshot();
    const live = h.live();
    const byResource = new Map<string, number>();
    for (const sub of live) {
      const key = `${sub.tenantId}|${sub.resource.toLowerCase()}`;
      byResource.set(key, (byResource.get(key) ?? 0) + 1);
    }
    const liveById = new Map(live.map((s) => [s.id, s]));
    const stored = await h.stored();
    const now = Date.now();
    const notAlive = stored.filter((r) => {
      const sub = liveById.get(r.id);
      return !sub || Date.parse(sub.expirationDateTime) - now < OVERDUE_MS;
    });
    return {
      chats,
      tenants,
      days,
      expected: chats * 2 + (tenantWide ? tenants * 2 : 0),
      live: live.length,
      stored: stored.length,
      duplicates: [...byResource.values()].reduce((sum, n) => sum + n - 1, 0),
      notAlive: notAlive.length,
      notAliveDetail: notAlive.map((r) => {
        const sub = liveById.get(r.id);
        const left = sub ? `${((Date.parse(sub.expirationDateTime) - now) / 3_600_000).toFixed(1)} h left in Graph` : 'not in Graph';
        return `${r.id} (${r.kind}, chat ${r.chatId ?? 'tenant-wide'}): ${left}, stored expiry ${r.expirationDateTime}`;
      }),
      createdDuringRun: run.calls.createSubscription ?? 0,
      setup,
      run,
      perChatPerDay: {
        renewals: round2((run.calls.renewSubscription ?? 0) / days / chats),
        graphCalls: round2(run.total / days / chats),
      },
      tokenRequestsPerTenant: round2(h.gw.login.tokenRequestCount() / tenants),
      wallMs: Math.round(performance.now() - started),
      setupWallMs: Math.round(setupMs),
    };
  } finally {
    await h?.close();
    time.clock.restore();
  }
}

/** The report as the README shows it. */
export function formatSoakReport(r: SubscriptionsSoakReport): string {
  const calls = (c: GraphCallCounts) =>
    Object.entries(c.calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, n]) => `${op} ${n}`)
      .join(', ');
  return [
    `Subscription soak: ${r.chats} chats in ${r.tenants} tenants, ${r.days} simulated days (fake clock), restart midway`,
    `  end state: ${r.live}/${r.expected} live, ${r.stored} stored, ${r.duplicates} duplicates, ${r.notAlive} not alive; ${r.createdDuringRun} created after set-up`,
    ...r.notAliveDetail.map((line) => `    not alive: ${line}`),
    `  set-up Graph calls: ${r.setup.total} (${calls(r.setup)})`,
    `  Graph calls over ${r.days} days: ${r.run.total} (${calls(r.run)}), ${r.run.retries} retries`,
    `  per chat per day: ${r.perChatPerDay.renewals} renewals, ${r.perChatPerDay.graphCalls} Graph calls in all`,
    `  token requests: ${r.tokenRequestsPerTenant} per tenant over ${r.days} days (cached until near expiry)`,
    `  wall time: ${(r.wallMs / 1000).toFixed(1)} s (set-up ${(r.setupWallMs / 1000).toFixed(1)} s)`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSubscriptionsSoak().then(
    (report) => process.stdout.write(`${formatSoakReport(report)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
