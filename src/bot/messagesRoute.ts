import type { CloudAdapter } from 'botbuilder';
import type { Server } from 'restify';
import type { HeraldBot } from './HeraldBot.js';

/** `POST /api/messages`: Bot Framework activities (401 without a valid token when BOT_ID is set). */
export function registerMessagesRoute(server: Server, adapter: CloudAdapter, bot: HeraldBot): void {
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
}
