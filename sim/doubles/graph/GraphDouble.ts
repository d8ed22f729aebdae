/**
 * Microsoft Graph double over real HTTPS: subscriptions (validated and handshaken like Graph), the chat,
 * member and user reads Herald needs, change and lifecycle notifications from the world model, and
 * fault switches for tests and the playground.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import { readBody, sendJson, startHttpsServer, type RunningHttpsServer } from '../tls/httpsServer.js';
import type { LoopbackCa } from '../tls/loopbackCa.js';
import type { WireLog } from '../world/WireLog.js';
import type { World } from '../world/World.js';
import type { WorldChat, WorldEvent } from '../world/types.js';
import { ChatAccess, DEFAULT_RSC_PERMISSIONS } from './chatAccess.js';
import { DeliveryQueue, type DeliveryRecord } from './deliveryQueue.js';
import { authenticate, GRAPH_APP_ID, type GraphCaller } from './graphAuth.js';
import { graphErrorBody, graphErrors, GraphHttpError, teamsSubscriptionError } from './graphErrors.js';
import { runHandshake } from './handshake.js';
import { NotificationFanout, type LifecycleEventName } from './notificationFanout.js';
import { chatForGet, memberForGet, userForGet } from './payloads.js';
import { READ_RULES, RESOURCE_RULES, resourceKey, type SubscriptionTarget } from './resources.js';
import {
  effectiveExpiration,
  LIFECYCLE_REQUIRED_MESSAGE,
  needsLifecycleUrl,
  parseCreateSubscription,
  parsePatchSubscription,
} from './subscriptionRequests.js';
import { parseEncryptionCertificate } from './encryption.js';
import {
  SubscriptionStore,
  subscriptionJson,
  type StoredSubscription,
  type SubscriptionJson,
  type SubscriptionSnapshot,
} from './subscriptionStore.js';

export interface GraphDoubleOptions {
  tls: Pick<LoopbackCa, 'certPem' | 'keyPem'>;
  world: World;
  wire: WireLog;
  /** The login double's origin (issuer of v2 tokens) and its published keys. */
  loginOrigin: string;
  keys: () => JSONWebKeySet;
  /** Mints a change-notification validation token for (tenant, audience). */
  signValidationToken: (tenantId: string, audience: string) => Promise<string>;
  clock?: () => Date;
  logger?: Logger;
  host?: string;
  port?: number;
  delivery?: {
    retryDelaysMs?: readonly number[];
    firstAttemptTimeoutMs?: number;
    retryTimeoutMs?: number;
    sleep?: (ms: number) => Promise<void>;
  };
  /** Deadline for the validation handshake (Graph: 10 s). */
  handshakeTimeoutMs?: number;
  /** Evaluation-mode notifications per app, tenant and month for metered resources without `model` (default 500). */
  evaluationMonthlyLimit?: number;
  /** Page size of GET /subscriptions (default 100). */
  subscriptionPageSize?: number;
  /** RSC permissions an installed app holds in a chat. */
  rscPermissions?: string[];
}

export interface FailNextRequestsOptions {
  count: number;
  status: 429 | 503 | 504;
  retryAfterSeconds?: number;
  /** Only requests whose path (after /v1.0) starts with this, e.g. '/subscriptions'. */
  pathPrefix?: string;
}

/** A subscription as the playground/test sees it (includes tenant, clientState and parsed target). */
export interface SubscriptionView extends SubscriptionJson {
  tenantId: string;
  target: SubscriptionTarget;
}

interface RouteResult {
  status: number;
  body?: unknown;
}

interface RequestContext {
  caller: GraphCaller;
  version: string;
  segments: string[];
  query: URLSearchParams;
  method: string;
  req: IncomingMessage;
}

export class GraphDouble {
  private server!: RunningHttpsServer;
  private readonly clock: () => Date;
  private readonly store: SubscriptionStore;
  private readonly access: ChatAccess;
  private readonly queue: DeliveryQueue;
  private readonly fanout: NotificationFanout;
  private readonly unsubscribeWorld: () => void;
  private readonly billingDisabled = new Set<string>();
  private failures: FailNextRequestsOptions | null = null;
  private beforeCreateAnswer: ((subscription: SubscriptionView) => Promise<void> | void) | null = null;

  private constructor(private readonly options: GraphDoubleOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.store = new SubscriptionStore(this.clock, (sub) =>
      options.wire.record({ kind: 'subscription', action: 'expired', subscriptionId: sub.id, resource: sub.resource, tenantId: sub.tenantId }),
    );
    this.access = new ChatAccess(options.world, options.rscPermissions ?? DEFAULT_RSC_PERMISSIONS);
    this.queue = new DeliveryQueue({
      wire: options.wire,
      signValidationToken: options.signValidationToken,
      retryDelaysMs: options.delivery?.retryDelaysMs ?? [1_000, 10_000, 60_000],
      firstAttemptTimeoutMs: options.delivery?.firstAttemptTimeoutMs ?? 3_000,
      retryTimeoutMs: options.delivery?.retryTimeoutMs ?? 10_000,
      sleep: options.delivery?.sleep,
      logger: options.logger,
    });
    this.fanout = new NotificationFanout({
      world: options.world,
      store: this.store,
      access: this.access,
      queue: this.queue,
      wire: options.wire,
      clock: this.clock,
      evaluationMonthlyLimit: options.evaluationMonthlyLimit ?? 500,
    });
    this.unsubscribeWorld = options.world.on((event) => this.onWorldEvent(event));
  }

  static async start(options: GraphDoubleOptions): Promise<GraphDouble> {
    const graph = new GraphDouble(options);
    graph.server = await startHttpsServer(options.tls, (req, res) => graph.handle(req, res), {
      host: options.host,
      port: options.port,
      onError: (error) => options.logger?.error({ err: error }, 'graph double failed a request'),
    });
    return graph;
  }

  /** `https://127.0.0.1:PORT` — Herald's GRAPH_ENDPOINT. */
  get origin(): string {
    return this.server.origin;
  }

  async close(): Promise<void> {
    this.unsubscribeWorld();
    await this.queue.close();
    await this.server.close();
  }

  // ---- inspection ------------------------------------------------------------------------

  subscriptions(filter: { tenantId?: string; clientId?: string } = {}): SubscriptionView[] {
    return this.store
      .all()
      .filter((s) => (!filter.tenantId || s.tenantId === filter.tenantId) && (!filter.clientId || s.clientId === filter.clientId))
      .map((s) => this.view(s));
  }

  private view(s: StoredSubscription): SubscriptionView {
    return { ...subscriptionJson(s), tenantId: s.tenantId, target: { ...s.target } };
  }

  /** Live subscriptions for saving next to World.toJSON() (contains clientState: keep it private). */
  exportSubscriptions(): SubscriptionSnapshot[] {
    return this.store.all().map(({ certificate: _certificate, ...rest }) => ({ ...rest, roles: [...rest.roles], changeTypes: [...rest.changeTypes], target: { ...rest.target } }));
  }

  /** Restore saved subscriptions (expired ones vanish on the next access, as usual). */
  importSubscriptions(snapshots: readonly SubscriptionSnapshot[]): void {
    for (const snapshot of snapshots) {
      const parsed = snapshot.encryptionCertificate ? parseEncryptionCertificate(snapshot.encryptionCertificate) : null;
      this.store.add({ ...snapshot, certificate: parsed?.ok ? parsed.certificate : null });
    }
  }

  /** Every notification/lifecycle POST with the status of each attempt. */
  deliveries(): DeliveryRecord[] {
    return this.queue.deliveries();
  }

  /** Resolves once no delivery or retry is in flight. */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  /** Alias of whenIdle(). */
  settle(): Promise<void> {
    return this.queue.whenIdle();
  }

  evaluationNotificationCount(clientId: string, tenantId: string): number {
    return this.fanout.evaluationCount(clientId, tenantId);
  }

  // ---- lifecycle and faults ----------------------------------------------------------------

  /** Post a lifecycle event; `subscriptionRemoved` also deletes the subscription. False if unknown or no lifecycle URL. */
  sendLifecycleEvent(subscriptionId: string, event: LifecycleEventName): boolean {
    const sub = this.store.get(subscriptionId);
    if (!sub) return false;
    const sent = this.fanout.sendLifecycle(sub, event);
    if (event === 'subscriptionRemoved') {
      this.store.delete(sub.id);
      this.options.wire.record({ kind: 'subscription', action: 'removed', subscriptionId: sub.id, resource: sub.resource, tenantId: sub.tenantId });
    }
    return sent;
  }

  dropNextNotification(chatId?: string): void {
    this.fanout.dropNext(chatId);
  }

  duplicateNextDelivery(count = 1): void {
    this.queue.duplicateNext(count);
  }

  /**
   * The next subscription creation runs `meanwhile` after the subscription exists (it already receives
   * notifications) and before the 201 is sent, as Graph may deliver before its answer reaches the caller.
   * The 201 waits for `meanwhile` and for the deliveries it caused.
   */
  deliverBeforeNextCreated(meanwhile: (subscription: SubscriptionView) => Promise<void> | void): void {
    this.beforeCreateAnswer = meanwhile;
  }

  /** Herald's next Graph calls fail with 429/503 and Retry-After. */
  failNextRequests(options: FailNextRequestsOptions): void {
    this.failures = options.count > 0 ? { ...options } : null;
  }

  /** RSC consent gone for this chat: 403 on its resources, deliveries stop, reauthorizationRequired is sent. */
  revokeConsent(chatId: string): void {
    this.access.revoke(chatId);
    for (const sub of this.store.all()) {
      if (sub.target.chatId === chatId) this.fanout.sendLifecycle(sub, 'reauthorizationRequired');
    }
  }

  restoreConsent(chatId: string): void {
    this.access.restore(chatId);
  }

  /** Hold notifications and send them later batched: one POST per URL with all held items. */
  holdDeliveries(): void {
    this.queue.hold();
  }

  /** `reversed`: the held items go out newest first, as a backlog may. */
  releaseDeliveries(options: { reversed?: boolean } = {}): void {
    this.queue.releaseHeld(options);
  }

  /** Without billing, `model=B` subscriptions fail with 402 like an app not linked to an Azure subscription. */
  setBillingEnabled(clientId: string, enabled: boolean): void {
    if (enabled) this.billingDisabled.delete(clientId);
    else this.billingDisabled.add(clientId);
  }

  // ---- world -----------------------------------------------------------------------------

  private onWorldEvent(event: WorldEvent): void {
    this.fanout.onWorldEvent(event);
    if (event.type === 'appUninstalled') {
      // Permission loss is a documented reauthorizationRequired trigger; per-chat RSC subscriptions stop delivering.
      for (const sub of this.store.all()) {
        if (sub.target.chatId === event.chat.id && sub.clientId === event.app.clientId) this.fanout.sendLifecycle(sub, 'reauthorizationRequired');
      }
    }
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const clientRequestIdHeader = req.headers['client-request-id'];
    const clientRequestId = typeof clientRequestIdHeader === 'string' ? clientRequestIdHeader : randomUUID();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://graph.double');
    let caller: GraphCaller | null = null;
    let status = 500;
    let errorCode: string | undefined;
    const headers: Record<string, string> = { 'request-id': requestId, 'client-request-id': clientRequestId };
    try {
      const match = /^\/(v1\.0|beta)(\/.*)?$/.exec(url.pathname);
      if (!match) throw new GraphHttpError(400, 'BadRequest', `Invalid version: ${url.pathname.split('/')[1] ?? ''}`);
      const version = match[1] ?? 'v1.0';
      const path = match[2] ?? '/';
      caller = await authenticate(req.headers.authorization, {
        keys: this.options.keys,
        loginOrigin: this.options.loginOrigin,
        audiences: [this.origin, `${this.origin}/`, GRAPH_APP_ID],
        clock: this.clock,
      });
      this.injectedFailure(path);
      const segments = path.split('/').filter(Boolean).map(decodeSegment);
      const result = await this.route({ caller, version, segments, query: url.searchParams, method, req });
      status = result.status;
      if (result.body === undefined) {
        res.writeHead(status, headers);
        res.end();
      } else {
        sendJson(res, status, result.body, { ...headers, 'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' });
      }
    } catch (error) {
      const failure = error instanceof GraphHttpError ? error : new GraphHttpError(500, 'InternalServerError', 'The Graph double failed.');
      if (!(error instanceof GraphHttpError)) this.options.logger?.error({ err: error }, 'graph double route failed');
      status = failure.status;
      errorCode = failure.code;
      const extra: Record<string, string> = failure.status === 401 ? { 'WWW-Authenticate': `Bearer realm="", authorization_uri="${this.options.loginOrigin}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"` } : {};
      sendJson(res, failure.status, graphErrorBody(failure.code, failure.message, this.clock(), requestId, clientRequestId), { ...headers, ...failure.headers, ...extra });
    }
    this.options.wire.record({
      kind: 'graphRequest',
      method,
      path: url.pathname + (url.search ? url.search : ''),
      status,
      tenantId: caller?.tenantId ?? null,
      clientId: caller?.clientId ?? null,
      ...(errorCode ? { errorCode } : {}),
    });
  }

  private injectedFailure(path: string): void {
    const failure = this.failures;
    if (!failure || (failure.pathPrefix && !path.startsWith(failure.pathPrefix))) return;
    failure.count -= 1;
    if (failure.count <= 0) this.failures = null;
    const headers: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {};
    if (failure.status === 429) throw new GraphHttpError(429, 'TooManyRequests', 'Too many requests, the request has been throttled.', headers);
    throw new GraphHttpError(failure.status, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry later.', headers);
  }

  private async route(ctx: RequestContext): Promise<RouteResult> {
    const [first, second, third, fourth, ...rest] = ctx.segments;
    const m = ctx.method;
    if (first === 'subscriptions') {
      if (!second) {
        if (m === 'POST') return this.createSubscription(ctx);
        if (m === 'GET') return this.listSubscriptions(ctx);
      } else if (!third) {
        if (m === 'GET') return this.getSubscription(ctx, second);
        if (m === 'PATCH') return this.patchSubscription(ctx, second);
        if (m === 'DELETE') return this.deleteSubscription(ctx, second);
      } else if (third === 'reauthorize' && !fourth && m === 'POST') {
        return this.reauthorize(ctx, second);
      }
    }
    if (first === 'chats' && second && m === 'GET' && rest.length === 0) {
      if (!third) return this.getChat(ctx, second);
      if (third === 'members' && !fourth) return this.listMembers(ctx, second);
      if (third === 'members' && fourth) return this.getMember(ctx, second, fourth);
    }
    if (first === 'users' && second && !third && m === 'GET') return this.getUser(ctx, second);
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${first ?? ''}'.`);
  }

  private context(ctx: RequestContext, suffix: string): string {
    return `${this.origin}/${ctx.version}/$metadata#${suffix}`;
  }

  // ---- subscriptions ---------------------------------------------------------------------

  private async createSubscription(ctx: RequestContext): Promise<RouteResult> {
    const request = parseCreateSubscription(await readJson(ctx.req), this.clock());
    this.checkSubscriptionAccess(ctx.caller, request.target, 'Create');
    const existing = this.store
      .ofApp(ctx.caller.tenantId, ctx.caller.clientId)
      .find((s) => resourceKey(s.target) === resourceKey(request.target) && sameSet(s.changeTypes, request.changeTypes));
    if (existing) {
      // Documented 409; the reference warns real Graph does not always enforce it, so Herald must not rely on it.
      throw teamsSubscriptionError(409, 'Create', `Subscription Id ${existing.id} already exists for the requested combination`);
    }
    await this.handshake(request.notificationUrl, 'notificationUrl');
    // Each URL is validated separately, even when both are the same (reference §4).
    if (request.lifecycleNotificationUrl) await this.handshake(request.lifecycleNotificationUrl, 'lifecycleNotificationUrl');

    const sub: StoredSubscription = {
      ...request,
      id: randomUUID(),
      tenantId: ctx.caller.tenantId,
      clientId: ctx.caller.clientId,
      roles: [...ctx.caller.roles],
      creatorId: ctx.caller.objectId,
      createdDateTime: this.clock().toISOString(),
    };
    this.store.add(sub);
    this.options.wire.record({ kind: 'subscription', action: 'created', subscriptionId: sub.id, resource: sub.resource, tenantId: sub.tenantId });
    const meanwhile = this.beforeCreateAnswer;
    if (meanwhile) {
      this.beforeCreateAnswer = null;
      await meanwhile(this.view(sub));
      await this.queue.whenIdle();
    }
    return { status: 201, body: { '@odata.context': this.context(ctx, 'subscriptions/$entity'), ...subscriptionJson(sub) } };
  }

  private listSubscriptions(ctx: RequestContext): RouteResult {
    const all = this.store.ofApp(ctx.caller.tenantId, ctx.caller.clientId);
    const pageSize = this.options.subscriptionPageSize ?? 100;
    const skip = decodeSkipToken(ctx.query.get('$skiptoken'));
    const page = all.slice(skip, skip + pageSize);
    const body: Record<string, unknown> = {
      '@odata.context': this.context(ctx, 'subscriptions'),
      value: page.map((s) => subscriptionJson(s, { hideClientState: true })),
    };
    if (skip + pageSize < all.length) {
      body['@odata.nextLink'] = `${this.origin}/${ctx.version}/subscriptions?$skiptoken=${encodeSkipToken(skip + pageSize)}`;
    }
    return { status: 200, body };
  }

  private ownSubscription(ctx: RequestContext, id: string): StoredSubscription {
    const sub = this.store.get(id);
    if (!sub || sub.tenantId !== ctx.caller.tenantId || sub.clientId !== ctx.caller.clientId) {
      throw new GraphHttpError(404, 'ResourceNotFound', `The subscription '${id}' was not found.`);
    }
    return sub;
  }

  private getSubscription(ctx: RequestContext, id: string): RouteResult {
    const sub = this.ownSubscription(ctx, id);
    return { status: 200, body: { '@odata.context': this.context(ctx, 'subscriptions/$entity'), ...subscriptionJson(sub) } };
  }

  private async patchSubscription(ctx: RequestContext, id: string): Promise<RouteResult> {
    const sub = this.ownSubscription(ctx, id);
    const patch = parsePatchSubscription(await readJson(ctx.req));
    this.checkSubscriptionAccess(ctx.caller, sub.target, 'Update');
    const now = this.clock();
    const expirationDateTime = patch.expirationDateTime ? effectiveExpiration(patch.expirationDateTime, now) : sub.expirationDateTime;
    if (patch.expirationDateTime && !sub.lifecycleNotificationUrl && needsLifecycleUrl(expirationDateTime, now)) {
      throw graphErrors.badRequest(LIFECYCLE_REQUIRED_MESSAGE);
    }
    if (patch.notificationUrl && patch.notificationUrl !== sub.notificationUrl) await this.handshake(patch.notificationUrl, 'notificationUrl');
    if (!this.store.get(id)) throw new GraphHttpError(404, 'ResourceNotFound', `The subscription '${id}' was not found.`);
    this.store.setExpiration(sub, expirationDateTime);
    if (patch.notificationUrl) sub.notificationUrl = patch.notificationUrl;
    sub.roles = [...ctx.caller.roles];
    this.options.wire.record({ kind: 'subscription', action: 'updated', subscriptionId: sub.id, resource: sub.resource, tenantId: sub.tenantId });
    return { status: 200, body: { '@odata.context': this.context(ctx, 'subscriptions/$entity'), ...subscriptionJson(sub) } };
  }

  private deleteSubscription(ctx: RequestContext, id: string): RouteResult {
    const sub = this.ownSubscription(ctx, id);
    this.store.delete(sub.id);
    this.options.wire.record({ kind: 'subscription', action: 'deleted', subscriptionId: sub.id, resource: sub.resource, tenantId: sub.tenantId });
    return { status: 204 };
  }

  private reauthorize(ctx: RequestContext, id: string): RouteResult {
    const sub = this.ownSubscription(ctx, id);
    this.checkSubscriptionAccess(ctx.caller, sub.target, 'Reauthorize');
    sub.roles = [...ctx.caller.roles];
    this.options.wire.record({ kind: 'subscription', action: 'reauthorized', subscriptionId: sub.id, resource: sub.resource, tenantId: sub.tenantId });
    return { status: 204 };
  }

  private checkSubscriptionAccess(caller: GraphCaller, target: SubscriptionTarget, operation: 'Create' | 'Update' | 'Reauthorize'): void {
    const rule = RESOURCE_RULES[target.kind];
    const denied = (rsc: string[]) => teamsSubscriptionError(403, operation, graphErrors.missingRoles([...rule.roles, ...rule.rsc], caller.roles, rsc));
    if (target.chatId) {
      const chat = this.options.world.getChat(target.chatId);
      if (!chat || chat.tenantId !== caller.tenantId) throw teamsSubscriptionError(404, operation, `Chat '${target.chatId}' was not found.`);
      if (!this.access.allowed(rule, caller, chat.id)) throw denied(this.access.rscGrants(chat.id, caller.clientId));
      return;
    }
    if (!caller.roles.some((r) => rule.roles.includes(r))) throw denied([]);
    if (target.teamsAppId) {
      const app = this.options.world.getTeamsApp(target.teamsAppId);
      if (!app || app.clientId !== caller.clientId) {
        throw teamsSubscriptionError(403, operation, `The application '${caller.clientId}' is not authorized to subscribe to installations of Teams app '${target.teamsAppId}'.`);
      }
    }
    if (target.model && rule.models.length > 0 && !rule.models.includes(target.model)) {
      throw teamsSubscriptionError(400, operation, `Model '${target.model}' is not supported for this resource. Supported models: ${rule.models.join(', ')}.`);
    }
    if (target.model === 'B' && this.billingDisabled.has(caller.clientId)) {
      throw new GraphHttpError(
        402,
        'PaymentRequired',
        'Operation: Create; Exception: [Status Code: PaymentRequired; Reason: The app must be associated with an Azure subscription to use metered APIs with model B.]',
      );
    }
  }

  private async handshake(url: string, purpose: 'notificationUrl' | 'lifecycleNotificationUrl'): Promise<void> {
    const result = await runHandshake(url, { timeoutMs: this.options.handshakeTimeoutMs ?? 10_000 });
    this.options.wire.record({
      kind: 'handshake',
      purpose,
      url,
      status: result.status,
      ok: result.ok,
      ...(result.ok ? {} : { error: result.message }),
    });
    if (!result.ok) throw graphErrors.badRequest(result.message);
  }

  // ---- reads -----------------------------------------------------------------------------

  private readableChat(ctx: RequestContext, chatId: string, rule: { roles: readonly string[]; rsc: readonly string[] }): WorldChat {
    const chat = this.options.world.getChat(chatId);
    if (!chat || chat.tenantId !== ctx.caller.tenantId) throw graphErrors.notFound(`Chat '${chatId}' was not found.`);
    if (!this.access.allowed(rule, ctx.caller, chat.id)) {
      throw graphErrors.forbidden(graphErrors.missingRoles([...rule.roles, ...rule.rsc], ctx.caller.roles, this.access.rscGrants(chat.id, ctx.caller.clientId)));
    }
    return chat;
  }

  private getChat(ctx: RequestContext, chatId: string): RouteResult {
    const chat = this.readableChat(ctx, chatId, READ_RULES.getChat);
    return { status: 200, body: { '@odata.context': this.context(ctx, 'chats/$entity'), ...chatForGet(chat) } };
  }

  private listMembers(ctx: RequestContext, chatId: string): RouteResult {
    const chat = this.readableChat(ctx, chatId, READ_RULES.listMembers);
    const lookup = (id: string) => this.options.world.getUser(id);
    return {
      status: 200,
      body: {
        '@odata.context': this.context(ctx, `chats('${chat.id}')/members`),
        '@odata.count': chat.members.length,
        value: chat.members.map((m) => memberForGet(m, lookup)),
      },
    };
  }

  private getMember(ctx: RequestContext, chatId: string, membershipId: string): RouteResult {
    const chat = this.readableChat(ctx, chatId, READ_RULES.listMembers);
    const membership = chat.members.find((m) => m.id === membershipId);
    if (!membership) throw graphErrors.notFound(`Member '${membershipId}' was not found in chat '${chatId}'.`);
    return {
      status: 200,
      body: {
        '@odata.context': this.context(ctx, `chats('${chat.id}')/members/$entity`),
        ...memberForGet(membership, (id) => this.options.world.getUser(id)),
      },
    };
  }

  private getUser(ctx: RequestContext, userId: string): RouteResult {
    if (!ctx.caller.roles.some((r) => (READ_RULES.getUser.roles as readonly string[]).includes(r))) {
      throw new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    const world = this.options.world;
    const user = world.getUser(userId);
    const tenantId = ctx.caller.tenantId;
    // A guest account lives in the inviting tenant's directory; people of other tenants do not.
    const visible =
      !!user &&
      (user.tenantId === tenantId || (user.guest && world.listChats(tenantId).some((c) => c.members.some((m) => m.userId === user.id))));
    if (!user || !visible) {
      throw new GraphHttpError(404, 'Request_ResourceNotFound', `Resource '${userId}' does not exist or one of its queried reference-property objects are not present.`);
    }
    const domain = world.getTenant(tenantId)?.domain ?? 'contoso.onmicrosoft.com';
    return { status: 200, body: { '@odata.context': this.context(ctx, 'users/$entity'), ...userForGet(user, domain) } };
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GraphHttpError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sameSet<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function encodeSkipToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeSkipToken(token: string | null): number {
  if (!token) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw new GraphHttpError(400, 'BadRequest', 'Invalid $skiptoken.');
  return Number(match[1]);
}
