import type { CloudAdapter } from 'botbuilder';
import type { Server } from 'restify';
import type { HeraldBot } from './HeraldBot.js';

/** `POST /api/messages`: Bot Framework activities (401 without a valid token when BOT_ID is set). */
export function registerMessagesRoute(server: Server, adapter: CloudAdapter, bot: HeraldBot): void {
  server.post('/api/messages', async (req, res) => {
    // The adapter throws (→ 500) on a body that is not an activity; that is the client's mistake.
    if (!looksLikeActivity(req.body)) {
      res.send(400, { code: 'BadRequest', message: 'Body must be a Bot Framework activity: a JSON object with a string "type"' });
      return;
    }
    await adapter.process(req, res, (context) => bot.run(context));
  });
}

function looksLikeActivity(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const type = (body as { type?: unknown }).type;
  return typeof type === 'string' && type.trim() !== '';
}
