import { AuthenticationHandlerOptions, GraphError, type Client, type GraphRequest } from '@microsoft/microsoft-graph-client';
import type { AadUserConversationMember, Chat, Subscription, User } from '@microsoft/microsoft-graph-types';
import type { Logger } from 'pino';
import type { ChatGraph } from './ChatGraph.js';
import { GraphCallStats, type GraphOperation } from './GraphCallStats.js';
import { parseRetryAfter } from '../kernel/retry.js';
import { GraphRequestError, GraphTokenError } from './GraphRequestError.js';
import { createGraphClient } from './createGraphClient.js';
import type { RetryPolicy } from './RetryAfterMiddleware.js';

/** The body of `POST /subscriptions` as Herald sends it (every field Herald relies on is required here). */
export interface NewSubscription {
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  resource: string;
  expirationDateTime: string;
  clientState: string;
  includeResourceData: boolean;
  encryptionCertificate: string;
  encryptionCertificateId: string;
  latestSupportedTlsVersion: 'v1_2' | 'v1_3';
}

/** A subscription as Graph reports it, with the fields Herald needs checked to be present. */
export interface GraphSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  /** Graph returns null from List; Herald keeps its own copy. */
  clientState: string | null;
  applicationId: string | null;
  includeResourceData: boolean;
  encryptionCertificateId: string | null;
}

export interface GraphApiOptions {
  /** `GRAPH_ENDPOINT` */
  endpoint: string;
  tokens: { getToken(tenantId: string): Promise<string> };
  log: Logger;
  clock: () => Date;
  /** Overrides of the throttling retry policy (tests shorten the sleeps). */
  retry?: Partial<Omit<RetryPolicy, 'clock' | 'onRetry'>>;
  stats?: GraphCallStats;
}

interface Page<T> {
  value?: T[];
  '@odata.nextLink'?: string;
}

const MAX_PAGES = 500;

function defaultSleep(ms: number): Promise<void> {
  // Looked up at call time so sinon fake timers installed later still apply.
  return new Promise((resolve) => globalThis.setTimeout(resolve, ms));
}

/**
 * Typed Microsoft Graph calls Herald makes, always app-only for a given tenant. Failures are thrown as
 * GraphRequestError (HTTP) or GraphTokenError (login); both carry the tenant and the path.
 */
export class GraphApi implements ChatGraph {
  readonly stats: GraphCallStats;
  private readonly client: Client;
  private readonly origin: string;

  constructor(private readonly options: GraphApiOptions) {
    this.stats = options.stats ?? new GraphCallStats();
    this.origin = new URL(options.endpoint).origin;
    const retry: RetryPolicy = {
      maxRetries: 3,
      maxInlineDelayMs: 10_000,
      baseDelayMs: 1_000,
      attemptTimeoutMs: 30_000,
      sleep: defaultSleep,
      ...options.retry,
      clock: options.clock,
      onRetry: (info) => {
        this.stats.recordRetry();
        options.log.warn({ status: info.status, attempt: info.attempt, delayMs: info.delayMs }, 'Graph asked to slow down; retrying');
      },
    };
    this.client = createGraphClient({
      endpoint: options.endpoint,
      // Every request carries its tenant's token through AuthenticationHandlerOptions; this one is never used.
      getToken: () => Promise.reject(new Error('Graph request without a tenant')),
      retry,
    });
  }

  async createSubscription(tenantId: string, body: NewSubscription): Promise<GraphSubscription> {
    const raw = await this.call<Subscription>('createSubscription', tenantId, 'POST', '/subscriptions', (r) => r.post(body));
    return toGraphSubscription(raw, tenantId, 'POST /subscriptions');
  }

  async getSubscription(tenantId: string, id: string): Promise<GraphSubscription> {
    const path = `/subscriptions/${encodeURIComponent(id)}`;
    const raw = await this.call<Subscription>('getSubscription', tenantId, 'GET', path, (r) => r.get());
    return toGraphSubscription(raw, tenantId, `GET ${path}`);
  }

  /** Every subscription this app owns in the tenant (all pages). */
  async listSubscriptions(tenantId: string): Promise<GraphSubscription[]> {
    const out: GraphSubscription[] = [];
    let path = '/subscriptions';
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.call<Page<Subscription>>('listSubscriptions', tenantId, 'GET', path, (r) => r.get());
      for (const raw of body.value ?? []) out.push(toGraphSubscription(raw, tenantId, 'GET /subscriptions'));
      const next = body['@odata.nextLink'];
      if (!next) return out;
      // Only follow links back to the same Graph host; anything else is not Graph talking.
      if (new URL(next).origin !== this.origin) {
        throw new GraphRequestError(null, 'UnexpectedNextLink', `nextLink leaves ${this.origin}`, tenantId, `GET ${path}`);
      }
      path = next;
    }
    throw new GraphRequestError(null, 'TooManyPages', `more than ${MAX_PAGES} pages of subscriptions`, tenantId, 'GET /subscriptions');
  }

  async renewSubscription(tenantId: string, id: string, expirationDateTime: string): Promise<GraphSubscription> {
    const path = `/subscriptions/${encodeURIComponent(id)}`;
    const raw = await this.call<Subscription>('renewSubscription', tenantId, 'PATCH', path, (r) => r.patch({ expirationDateTime }));
    return toGraphSubscription(raw, tenantId, `PATCH ${path}`);
  }

  async deleteSubscription(tenantId: string, id: string): Promise<void> {
    const path = `/subscriptions/${encodeURIComponent(id)}`;
    await this.call<unknown>('deleteSubscription', tenantId, 'DELETE', path, (r) => r.delete());
  }

  async reauthorizeSubscription(tenantId: string, id: string): Promise<void> {
    const path = `/subscriptions/${encodeURIComponent(id)}/reauthorize`;
    await this.call<unknown>('reauthorizeSubscription', tenantId, 'POST', path, (r) => r.post(undefined));
  }

  getChat(tenantId: string, chatId: string): Promise<Chat> {
    const path = `/chats/${encodeURIComponent(chatId)}`;
    return this.call<Chat>('getChat', tenantId, 'GET', path, (r) => r.get());
  }

  async listChatMembers(tenantId: string, chatId: string): Promise<AadUserConversationMember[]> {
    const out: AadUserConversationMember[] = [];
    let path = `/chats/${encodeURIComponent(chatId)}/members`;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.call<Page<AadUserConversationMember>>('listChatMembers', tenantId, 'GET', path, (r) => r.get());
      out.push(...(body.value ?? []));
      const next = body['@odata.nextLink'];
      if (!next) return out;
      if (new URL(next).origin !== this.origin) {
        throw new GraphRequestError(null, 'UnexpectedNextLink', `nextLink leaves ${this.origin}`, tenantId, `GET ${path}`);
      }
      path = next;
    }
    return out;
  }

  getUser(tenantId: string, userId: string): Promise<User> {
    const path = `/users/${encodeURIComponent(userId)}`;
    return this.call<User>('getUser', tenantId, 'GET', path, (r) => r.select(['id', 'displayName', 'userPrincipalName']).get());
  }

  /** GET of a resource path relative to the Graph version root, as named by a notification's `resource`. */
  getResource(tenantId: string, path: string): Promise<unknown> {
    // The Graph client treats any path containing "https://" as absolute; a notification must not steer it.
    if (/:\/\//.test(path) || /(^|\/)\.\.(\/|$)/.test(path)) {
      return Promise.reject(new GraphRequestError(null, 'InvalidResourcePath', 'resource path must be relative to Graph', tenantId, `GET ${path}`));
    }
    const relative = path.startsWith('/') ? path : `/${path}`;
    return this.call<unknown>('getResource', tenantId, 'GET', relative, (r) => r.get());
  }

  private async call<T>(operation: GraphOperation, tenantId: string, method: string, path: string, send: (request: GraphRequest) => Promise<T>): Promise<T> {
    const described = `${method} ${path.startsWith(this.origin) ? path.slice(this.origin.length) : path}`;
    // Fetch the token first so a login failure surfaces as a typed GraphTokenError, not a GraphError.
    const token = await this.options.tokens.getToken(tenantId);
    this.stats.recordCall(operation);
    const request = this.client
      .api(path)
      .middlewareOptions([new AuthenticationHandlerOptions({ getAccessToken: () => Promise.resolve(token) })]);
    try {
      const result = await send(request);
      this.options.log.debug({ tenantId, request: described }, 'Graph call');
      return result;
    } catch (error) {
      this.stats.recordFailure(operation);
      const failure = this.toRequestError(error, tenantId, described);
      this.options.log.debug({ tenantId, request: described, err: failure }, 'Graph call failed');
      throw failure;
    }
  }

  private toRequestError(error: unknown, tenantId: string, described: string): GraphRequestError | GraphTokenError {
    if (error instanceof GraphRequestError || error instanceof GraphTokenError) return error;
    if (error instanceof GraphError) {
      const status = error.statusCode > 0 ? error.statusCode : null;
      const retryAfterMs = parseRetryAfter(error.headers?.get('retry-after'), this.options.clock());
      const message = error.message || (status ? `Graph answered ${status}` : 'Graph did not answer');
      return new GraphRequestError(status, error.code, message, tenantId, described, retryAfterMs, { cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new GraphRequestError(null, null, message, tenantId, described, null, { cause: error });
  }
}

function toGraphSubscription(raw: Subscription, tenantId: string, path: string): GraphSubscription {
  if (!raw || typeof raw.id !== 'string' || typeof raw.resource !== 'string' || typeof raw.expirationDateTime !== 'string') {
    throw new GraphRequestError(null, 'MalformedResponse', 'Graph returned a subscription without id, resource or expiry', tenantId, path);
  }
  return {
    id: raw.id,
    resource: raw.resource,
    changeType: raw.changeType ?? '',
    notificationUrl: raw.notificationUrl ?? '',
    lifecycleNotificationUrl: raw.lifecycleNotificationUrl ?? null,
    expirationDateTime: raw.expirationDateTime,
    clientState: raw.clientState ?? null,
    applicationId: raw.applicationId ?? null,
    includeResourceData: raw.includeResourceData === true,
    encryptionCertificateId: raw.encryptionCertificateId ?? null,
  };
}
