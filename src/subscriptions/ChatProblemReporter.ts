import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import type { Logger } from 'pino';
import type { GraphFailure } from '../graph/GraphRequestError.js';
import type { Installation } from '../model/installation.js';
import { emptyChatState } from '../model/chat.js';
import type { Store } from '../storage/Store.js';
import { accessProblemFor, isAccessProblemCode } from './accessProblem.js';

export interface ChatProblemReporterDeps {
  store: Store;
  poster: { post(installation: Installation, activity: Partial<Activity>): Promise<string | undefined> };
  log: Logger;
  clock: () => Date;
}

/**
 * Records a permanent Graph access problem on the chat and explains it in the chat once (what the admin
 * must do). The `announced` flag is stored, so restarts and repeated failures never post it again; a
 * failed post leaves it unannounced for the next occurrence.
 */
export class ChatProblemReporter {
  constructor(private readonly deps: ChatProblemReporterDeps) {}

  async report(chatId: string, tenantId: string, error: GraphFailure): Promise<void> {
    const { store, clock, log } = this.deps;
    // Herald was removed from the chat while a call for it was under way: the refusal is the removal
    // itself (its consent went with it), not a problem to record or explain.
    const installation = await store.installations.get(chatId);
    if (installation && installation.status !== 'installed') {
      log.info({ chatId, tenantId, status: installation.status }, 'Graph refused access for a chat Herald has been removed from; nothing to report');
      return;
    }
    const fresh = accessProblemFor(error, clock());
    let isNew = false;
    let announce = false;
    const state = await store.chats.update(chatId, (current) => {
      const base = current ?? emptyChatState(chatId, tenantId);
      const known = base.problem?.code === fresh.code ? base.problem : null;
      isNew = known === null;
      const problem = known ? { ...known, message: fresh.message, error: fresh.error } : fresh;
      announce = !problem.announced;
      return { ...base, problem };
    });
    log.warn({ chatId, tenantId, err: error, problem: state?.problem?.code }, 'Graph refused access for this chat; not retrying until reinstalled or restarted');
    if (isNew) {
      await store.history.append({ id: randomUUID(), chatId, at: fresh.at, kind: 'problem', detail: fresh.message });
    }
    if (announce) await this.announce(chatId, fresh.message);
  }

  /** Forgets an access problem once Graph lets Herald in again. */
  async clear(chatId: string): Promise<void> {
    const state = await this.deps.store.chats.get(chatId);
    if (!state?.problem || !isAccessProblemCode(state.problem.code)) return;
    await this.deps.store.chats.update(chatId, (current) =>
      current && current.problem && isAccessProblemCode(current.problem.code) ? { ...current, problem: null } : current,
    );
    this.deps.log.info({ chatId }, 'Graph access for this chat works again');
  }

  private async announce(chatId: string, text: string): Promise<void> {
    const installation = await this.deps.store.installations.get(chatId);
    if (!installation || installation.status !== 'installed') return;
    try {
      await this.deps.poster.post(installation, { type: 'message', text });
    } catch (error) {
      this.deps.log.warn({ chatId, err: error }, 'could not explain the access problem in the chat; will try again next time');
      return;
    }
    await this.deps.store.chats.update(chatId, (current) =>
      current?.problem ? { ...current, problem: { ...current.problem, announced: true } } : current,
    );
  }
}
