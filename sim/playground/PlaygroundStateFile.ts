/**
 * What the playground keeps under `DATA_DIR/playground/` so a restart of `npm start` resumes the same
 * chat: the simulated world (tenants, people, the chat, its topic, members and installed apps), Graph's
 * subscriptions, the playground app registration, stable Teams ids, the Bot Connector double's port and the chat stream.
 * The playground's Herald keeps its storage next to it, in `DATA_DIR/playground/herald/`; live Herald reads
 * nothing under `DATA_DIR/playground/`.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SubscriptionSnapshot } from '../doubles/graph/subscriptionStore.js';
import type { WorldSnapshot } from '../doubles/world/types.js';
import { AtomicJsonFile } from './AtomicJsonFile.js';
import type { TimelineEntry } from './Timeline.js';

export interface PlaygroundMeta {
  /** The tenant that owns the chat (Herald's customer). */
  tenantId: string;
  /** Home tenant of guests and external people. */
  otherTenantId: string;
  chatId: string;
  /** The playground's Entra app and Teams app (a throw-away registration at the login double). */
  app: { clientId: string; clientSecret: string; teamsAppId: string };
  /** Bot Framework `29:` ids of world users, stable across restarts. */
  teamsUserIds: Record<string, string>;
  /** Port of the Bot Connector double: Herald stores the serviceUrl, so a restart tries to keep it. */
  connectorPort: number;
  /** The person the page acts as. */
  actingUserId: string;
}

export interface PlaygroundSnapshot {
  version: 1;
  meta: PlaygroundMeta;
  world: WorldSnapshot;
  /** The Graph double's live subscriptions (Graph keeps them while Herald is down). Holds clientState. */
  subscriptions: SubscriptionSnapshot[];
  timeline: TimelineEntry[];
}

export class PlaygroundStateError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
    this.name = 'PlaygroundStateError';
  }
}

export const PLAYGROUND_STATE_FILE = 'playground.json';

/** Loads and saves the snapshot; saves are coalesced (one write in flight, the latest state wins). */
export class PlaygroundStateFile {
  private readonly file: AtomicJsonFile<PlaygroundSnapshot>;
  private writing: Promise<void> | null = null;
  private pending: (() => PlaygroundSnapshot) | null = null;

  constructor(
    readonly dir: string,
    private readonly log?: Logger,
  ) {
    this.file = new AtomicJsonFile(join(dir, PLAYGROUND_STATE_FILE));
  }

  get path(): string {
    return join(this.dir, PLAYGROUND_STATE_FILE);
  }

  async load(): Promise<PlaygroundSnapshot | null> {
    let snapshot: PlaygroundSnapshot | null;
    try {
      snapshot = await this.file.read();
    } catch (error) {
      throw new PlaygroundStateError(this.path, 'is not valid JSON; delete it to start a fresh playground', { cause: error });
    }
    if (snapshot === null) return null;
    if (snapshot.version !== 1 || !snapshot.meta?.chatId || !snapshot.world) {
      throw new PlaygroundStateError(this.path, 'is not a playground state this version understands; delete it to start a fresh playground');
    }
    return snapshot;
  }

  /** Schedules a save of whatever `snapshot()` returns when the write starts. */
  save(snapshot: () => PlaygroundSnapshot): void {
    this.pending = snapshot;
    if (!this.writing) this.writing = this.drain();
  }

  /** Resolves once every scheduled save is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const next = this.pending;
        this.pending = null;
        try {
          await this.file.write(next());
        } catch (error) {
          this.log?.error({ err: error, path: this.path }, 'playground: saving the simulated world failed');
        }
      }
    } finally {
      this.writing = null;
    }
  }
}
