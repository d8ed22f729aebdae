import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Attachment } from 'botbuilder';
import type { Logger } from 'pino';
import type { ActivityJson, ConnectorErrorBody, PagedMembersJson } from './activityJson.js';
import type { BotPresence } from './BotPresence.js';
import { connectorErrorBody, defaultErrorFor } from './connectorErrors.js';
import { type ConnectorRoute, matchConnectorRoute } from './connectorRoutes.js';
import { FaultPlan, type FaultSpec, type FaultTarget } from './FaultPlan.js';
import {
  type AuthorizationSeen,
  type ConnectorListener,
  type ConnectorOperation,
  PostLog,
  type RecordedPost,
  type RecordedRequest,
} from './PostLog.js';
import { findMember, type TeamsDirectory, toTeamsChannelAccountJson } from './TeamsDirectory.js';
import type { MessageIdSequence } from './teamsIds.js';

/** Checks the bot's outbound Bot Connector token (the real service validates it against its app id). */
export interface ConnectorTokenVerifier {
  (token: string, expected: { botAppId: string }): boolean | Promise<boolean>;
}

export interface TeamsConnectorOptions {
  botAppId: string;
  directory: TeamsDirectory;
  presence: BotPresence;
  messageIds: MessageIdSequence;
  now: () => Date;
  log: Logger;
  /** When set, calls without a valid `Authorization: Bearer` get 401; otherwise any call is accepted. */
  verifyToken?: ConnectorTokenVerifier;
  /** Answer 403 BotNotInConversationRoster for conversations the bot is not part of. */
  enforceRoster?: boolean;
  /** Activities larger than this are refused with 413 MessageSizeTooBig (Teams' limit is about 28 KB). */
  maxActivityBytes?: number;
  /** Path part of the serviceUrl, e.g. `/amer/` to look like a regional Teams URL. */
  basePath?: string;
  port?: number;
}

export const DEFAULT_MAX_ACTIVITY_BYTES = 28 * 1024;
const HARD_BODY_LIMIT = 4 * 1024 * 1024;
/** Teams pages rosters only for teams/channels, with page sizes clamped to 50…500 (default 200). */
const PAGE_SIZE = { min: 50, max: 500, default: 200 };

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Teams' side of the Bot Connector REST API, on plain HTTP at 127.0.0.1. It records what the bot
 * posts, serves rosters from a directory and fails on demand.
 */
export class TeamsConnector {
  readonly serviceUrl: string;
  private readonly log: PostLog;
  private readonly faults = new FaultPlan();
  private enforceRoster: boolean;

  private constructor(
    private readonly server: http.Server,
    private readonly options: TeamsConnectorOptions,
    basePath: string,
  ) {
    const { port } = server.address() as AddressInfo;
    this.serviceUrl = `http://127.0.0.1:${port}${basePath}`;
    this.enforceRoster = options.enforceRoster ?? false;
    this.log = new PostLog((error) => options.log.warn({ err: error }, 'teams double: connector listener failed'));
  }

  static async start(options: TeamsConnectorOptions): Promise<TeamsConnector> {
    const basePath = normaliseBasePath(options.basePath);
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const connector = new TeamsConnector(server, options, basePath);
    server.on('request', (req, res) => {
      connector.handle(req, res, basePath).catch((error: unknown) => {
        options.log.error({ err: error }, 'teams double: connector request failed');
        if (!res.headersSent) send(res, { status: 500, body: connectorErrorBody('ServiceError', 'teams double failed') });
      });
    });
    return connector;
  }

  /** Accepted posts, oldest first; all conversations when `conversationId` is absent. */
  posts(conversationId?: string): RecordedPost[] {
    return this.log.posts(conversationId);
  }

  /** Every request answered, including refused and injected failures. */
  requests(conversationId?: string): RecordedRequest[] {
    return this.log.requests(conversationId);
  }

  /** Resolves once `count` posts reached the conversation (or any, when undefined); rejects after `timeoutMs`. */
  waitForPosts(conversationId: string | undefined, count: number, timeoutMs = 5_000): Promise<RecordedPost[]> {
    return this.log.waitForPosts(conversationId, count, timeoutMs);
  }

  clearPosts(): void {
    this.log.clearPosts();
  }

  clearRequests(): void {
    this.log.clearRequests();
  }

  /** Live view of posts, updates, deletions and requests. Returns the unsubscribe function. */
  subscribe(listener: ConnectorListener): () => void {
    return this.log.subscribe(listener);
  }

  /** The next `count` bot posts (send or reply) fail with `status`. */
  failNextPosts(spec: FaultSpec): void {
    this.faults.add('post', spec);
  }

  /** The next `count` roster reads (members, pagedmembers, single member) fail with `status`. */
  failNextMemberReads(spec: FaultSpec): void {
    this.faults.add('memberRead', spec);
  }

  pendingFaults(target?: FaultTarget): number {
    return this.faults.pending(target);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setEnforceRoster(enabled: boolean): void {
    this.enforceRoster = enabled;
  }

  async close(): Promise<void> {
    this.log.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, basePath: string): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const route = matchConnectorRoute(method, path, basePath);
    const body = await readBody(req);
    const authorization = await this.checkAuthorization(req.headers.authorization);
    const reply = await this.answer(route, body, authorization);
    const errorCode = isErrorBody(reply.body) ? reply.body.error.code : null;
    this.log.addRequest({
      method,
      path,
      operation: route.operation,
      conversationId: route.conversationId,
      status: reply.status,
      errorCode,
      authorization,
      at: this.options.now().toISOString(),
    });
    this.options.log.debug(
      { method, operation: route.operation, conversationId: route.conversationId, status: reply.status, errorCode },
      'teams double: connector request',
    );
    send(res, reply);
  }

  private async answer(route: ConnectorRoute, body: Buffer | 'tooLarge', authorization: AuthorizationSeen): Promise<Reply> {
    if (this.options.verifyToken && !authorization.verified) {
      return errorReply(401);
    }
    if (route.operation === 'unknown') {
      return { status: 404, body: connectorErrorBody('NotFound', 'The requested resource does not exist.') };
    }
    const faultTarget = faultTargetOf(route.operation);
    const fault = faultTarget ? this.faults.take(faultTarget, route.conversationId) : undefined;
    if (fault) {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return { status: fault.status, body: connectorErrorBody(fault.code, fault.message), headers };
    }
    if (this.enforceRoster && !this.options.presence.has(route.conversationId)) {
      return errorReply(403);
    }
    switch (route.operation) {
      case 'sendToConversation':
      case 'replyToActivity':
        return this.acceptPost(route, body, authorization);
      case 'updateActivity':
        return this.updatePost(route.conversationId, route.activityId, body);
      case 'deleteActivity':
        return this.deletePost(route.conversationId, route.activityId);
      case 'getConversationMembers':
      case 'getConversationPagedMembers':
      case 'getConversationMember':
        return this.readMembers(route);
    }
  }

  private acceptPost(
    route: Extract<ConnectorRoute, { operation: 'sendToConversation' | 'replyToActivity' }>,
    body: Buffer | 'tooLarge',
    authorization: AuthorizationSeen,
  ): Reply {
    const parsed = this.parseActivity(body);
    if ('status' in parsed) return parsed;
    const activity = parsed.activity;
    const id = this.options.messageIds.next();
    const pathReplyTo = route.operation === 'replyToActivity' ? route.activityId : null;
    this.log.addPost({
      id,
      conversationId: route.conversationId,
      route: route.operation === 'replyToActivity' ? 'reply' : 'send',
      replyToId: activity.replyToId ?? pathReplyTo,
      activity,
      text: typeof activity.text === 'string' ? activity.text : null,
      attachments: Array.isArray(activity.attachments) ? (activity.attachments as Attachment[]) : [],
      authorization,
      receivedAt: this.options.now().toISOString(),
      updatedAt: null,
      deletedAt: null,
    });
    return { status: 201, body: { id } };
  }

  private updatePost(conversationId: string, activityId: string, body: Buffer | 'tooLarge'): Reply {
    const existing = this.log.findPost(conversationId, activityId);
    if (!existing || existing.deletedAt) return activityNotFound();
    const parsed = this.parseActivity(body);
    if ('status' in parsed) return parsed;
    const activity = parsed.activity;
    this.log.replacePost(
      existing,
      {
        ...existing,
        activity,
        text: typeof activity.text === 'string' ? activity.text : null,
        attachments: Array.isArray(activity.attachments) ? (activity.attachments as Attachment[]) : [],
        updatedAt: this.options.now().toISOString(),
      },
      'updated',
    );
    return { status: 200, body: { id: activityId } };
  }

  private deletePost(conversationId: string, activityId: string): Reply {
    const existing = this.log.findPost(conversationId, activityId);
    if (!existing || existing.deletedAt) return activityNotFound();
    this.log.replacePost(existing, { ...existing, deletedAt: this.options.now().toISOString() }, 'deleted');
    return { status: 200 };
  }

  private async readMembers(
    route: Extract<
      ConnectorRoute,
      { operation: 'getConversationMembers' | 'getConversationPagedMembers' | 'getConversationMember' }
    >,
  ): Promise<Reply> {
    const members = await this.options.directory.listMembers(route.conversationId);
    if (!members) return errorReply(404);
    if (route.operation === 'getConversationMember') {
      const member = findMember(members, route.memberId);
      // botbuilder's TeamsActivityHandler treats ConversationNotFound as "member not found".
      return member
        ? { status: 200, body: toTeamsChannelAccountJson(member) }
        : { status: 404, body: connectorErrorBody('ConversationNotFound', 'The member is not part of the conversation.') };
    }
    const accounts = members.map(toTeamsChannelAccountJson);
    if (route.operation === 'getConversationMembers') return { status: 200, body: accounts };
    return { status: 200, body: page(route.conversationId, accounts, route.pageSize, route.continuationToken) };
  }

  private parseActivity(body: Buffer | 'tooLarge'): { activity: ActivityJson } | Reply {
    const limit = this.options.maxActivityBytes ?? DEFAULT_MAX_ACTIVITY_BYTES;
    if (body === 'tooLarge' || body.length > limit) return errorReply(413);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, body: connectorErrorBody('BadSyntax', 'The request body is not valid JSON.') };
    }
    if (!isActivityJson(value)) {
      return { status: 400, body: connectorErrorBody('BadArgument', 'Activity type is required.') };
    }
    return { activity: value };
  }

  private async checkAuthorization(header: string | undefined): Promise<AuthorizationSeen> {
    const match = header ? /^(\S+)\s+(.+)$/.exec(header.trim()) : null;
    const scheme = match ? match[1] : header ? header.trim() : null;
    const seen: AuthorizationSeen = { present: header !== undefined, scheme, verified: null };
    const verify = this.options.verifyToken;
    if (!verify) return seen;
    if (!match || scheme?.toLowerCase() !== 'bearer') return { ...seen, verified: false };
    try {
      return { ...seen, verified: await verify(match[2], { botAppId: this.options.botAppId }) };
    } catch (error) {
      this.options.log.debug({ err: error }, 'teams double: connector token rejected');
      return { ...seen, verified: false };
    }
  }
}

function faultTargetOf(operation: ConnectorOperation): FaultTarget | undefined {
  if (operation === 'sendToConversation' || operation === 'replyToActivity') return 'post';
  if (
    operation === 'getConversationMembers' ||
    operation === 'getConversationPagedMembers' ||
    operation === 'getConversationMember'
  ) {
    return 'memberRead';
  }
  return undefined;
}

/** Group chats and 1:1 chats return the whole roster; teams and channels are paged. */
function page(
  conversationId: string,
  accounts: PagedMembersJson['members'],
  requestedSize: number | undefined,
  continuationToken: string | undefined,
): PagedMembersJson {
  const paged = /@thread\.(tacv2|skype)/.test(conversationId);
  if (!paged) return { members: accounts };
  const size = Math.min(PAGE_SIZE.max, Math.max(PAGE_SIZE.min, requestedSize ?? PAGE_SIZE.default));
  const offset = continuationToken ? Number(Buffer.from(continuationToken, 'base64url').toString('utf8')) || 0 : 0;
  const next = offset + size;
  return {
    members: accounts.slice(offset, next),
    continuationToken: next < accounts.length ? Buffer.from(String(next), 'utf8').toString('base64url') : undefined,
  };
}

function errorReply(status: 401 | 403 | 404 | 413): Reply {
  const { code, message } = defaultErrorFor(status);
  return { status, body: connectorErrorBody(code, message) };
}

function activityNotFound(): Reply {
  return { status: 404, body: connectorErrorBody('ActivityNotFoundInConversation', 'The activity was not found.') };
}

function isErrorBody(value: unknown): value is ConnectorErrorBody {
  return typeof value === 'object' && value !== null && 'error' in value;
}

function isActivityJson(value: unknown): value is ActivityJson {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function normaliseBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '/').replace(/^\/*/, '/').replace(/\/*$/, '/');
  return trimmed === '//' ? '/' : trimmed;
}

function readBody(req: http.IncomingMessage): Promise<Buffer | 'tooLarge'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > HARD_BODY_LIMIT) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'tooLarge' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  headers['content-type'] = 'application/json; charset=utf-8';
  res.writeHead(reply.status, headers);
  res.end(JSON.stringify(reply.body));
}
