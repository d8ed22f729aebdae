import type { Activity, CloudAdapter, ConversationReference } from 'botbuilder';
import { toPostError } from '../bot/ChatPoster.js';
import type { Installation } from '../model/installation.js';

/** What the post queue needs: post one activity into an installed chat; throws `PostError` on refusal. */
export interface AnnouncementPoster {
  post(installation: Installation, activity: Partial<Activity>): Promise<string | undefined>;
}

/**
 * Posts like `ChatPoster`, but catches the connector's error inside the proactive turn. An error that
 * escapes the turn goes to the adapter's `onTurnError` (which Herald sets to log), so the caller would
 * never learn about a 429 or a 403 and could neither retry nor mark the chat uninstalled.
 */
export class TurnSafePoster implements AnnouncementPoster {
  constructor(private readonly deps: { adapter: CloudAdapter; botAppId: string; clock: () => Date }) {}

  async post(installation: Installation, activity: Partial<Activity>): Promise<string | undefined> {
    const reference = {
      channelId: 'msteams',
      ...installation.conversationReference,
      serviceUrl: installation.serviceUrl,
    } as ConversationReference;
    let outcome: { ok: true; id: string | undefined } | { ok: false; error: unknown } | null = null;
    try {
      await this.deps.adapter.continueConversationAsync(this.deps.botAppId, reference, async (context) => {
        try {
          const response = await context.sendActivity(activity);
          outcome = { ok: true, id: response?.id };
        } catch (error) {
          outcome = { ok: false, error };
        }
      });
    } catch (error) {
      outcome = { ok: false, error };
    }
    const settled = outcome as { ok: true; id: string | undefined } | { ok: false; error: unknown } | null;
    if (!settled) throw toPostError(installation.chatId, new Error('the proactive turn did not run'), this.deps.clock());
    if (!settled.ok) throw toPostError(installation.chatId, settled.error, this.deps.clock());
    return settled.id;
  }
}
