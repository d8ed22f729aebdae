import type { Logger } from 'pino';
import type { Request, Response, Server } from 'restify';
import type { InboxBatch } from '../../model/inbox.js';
import { readEnvelope } from '../decode/normalizeNotification.js';
import { InboxClosedError, type InboxProcessor } from '../inbox/InboxProcessor.js';
import { handshakePreHandler } from './handshake.js';

export const NOTIFICATIONS_PATH = '/api/notifications';
export const LIFECYCLE_PATH = '/api/notifications/lifecycle';

export interface NotificationRoutesDeps {
  server: Server;
  inbox: Pick<InboxProcessor, 'accept'>;
  log: Logger;
}

/**
 * HTTP in: the validation handshake, then for a batch — content type, shape, durable write to the
 * inbox, 202. Authentication and everything slow happen after the answer. The body parser (1 MB limit →
 * 413, malformed JSON → 400) runs before these handlers.
 */
export function registerNotificationRoutes(deps: NotificationRoutesDeps): void {
  const { server, log } = deps;
  server.pre(handshakePreHandler([NOTIFICATIONS_PATH, LIFECYCLE_PATH], log));
  server.post(NOTIFICATIONS_PATH, receiver('notifications', deps));
  server.post(LIFECYCLE_PATH, receiver('lifecycle', deps));
}

function receiver(route: InboxBatch['route'], deps: NotificationRoutesDeps) {
  return async function receiveNotifications(req: Request, res: Response): Promise<void> {
    if (!isJson(req.header('content-type'))) {
      res.send(415, { code: 'UnsupportedMediaType', message: 'Change notifications must be application/json' });
      return;
    }
    const envelope = readEnvelope(req.body);
    if (!envelope.ok) {
      res.send(400, { code: 'BadRequest', message: envelope.problem });
      return;
    }
    if (envelope.items.length > 0) {
      try {
        await deps.inbox.accept(route, req.body, envelope.items.length);
      } catch (error) {
        // Not stored means not accepted: a 503 makes Graph deliver it again.
        if (!(error instanceof InboxClosedError)) deps.log.error({ err: error, route }, 'could not store a notification batch');
        res.send(503, { code: 'ServiceUnavailable', message: 'Try again later' });
        return;
      }
    }
    res.send(202);
  };
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}
