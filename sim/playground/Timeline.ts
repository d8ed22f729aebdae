/**
 * The chat stream the playground page shows: what people did (system lines, as Teams shows them),
 * what they wrote, and what Herald posted through the Bot Connector double. Kept in memory, capped,
 * and saved with the playground state so a restart shows the same conversation.
 */

/** An attachment as the Bot Connector carried it (Herald's Adaptive Cards among them). */
export interface TimelineAttachment {
  contentType: string;
  content?: unknown;
}

export type TimelineEntry =
  | { kind: 'system'; id: string; at: string; text: string }
  | {
      kind: 'message';
      id: string;
      at: string;
      fromUserId: string;
      fromName: string;
      text: string;
      /** Whether the message @mentioned Herald (only those reach a bot in a group chat). */
      mentionsHerald: boolean;
    }
  | {
      kind: 'post';
      id: string;
      at: string;
      /** The id the connector double gave the post (updates and deletes name it). */
      activityId: string;
      text: string | null;
      attachments: TimelineAttachment[];
      edited: boolean;
      deleted: boolean;
    };

export type TimelineChange = { type: 'added' | 'updated'; entry: TimelineEntry };
export type TimelineListener = (change: TimelineChange) => void;

export class Timeline {
  private list: TimelineEntry[];
  private readonly listeners = new Set<TimelineListener>();
  private seq: number;

  constructor(
    initial: readonly TimelineEntry[] = [],
    private readonly capacity = 500,
  ) {
    this.list = [...initial].slice(-capacity);
    this.seq = this.list.reduce((max, e) => Math.max(max, Number(e.id.replace(/^\D+/, '')) || 0), 0);
  }

  entries(): TimelineEntry[] {
    return [...this.list];
  }

  system(at: string, text: string): TimelineEntry {
    return this.add({ kind: 'system', id: this.nextId(), at, text });
  }

  message(input: Omit<Extract<TimelineEntry, { kind: 'message' }>, 'kind' | 'id'>): TimelineEntry {
    return this.add({ kind: 'message', id: this.nextId(), ...input });
  }

  post(input: { at: string; activityId: string; text: string | null; attachments: TimelineAttachment[] }): TimelineEntry {
    return this.add({ kind: 'post', id: this.nextId(), edited: false, deleted: false, ...input });
  }

  /** Herald edited or deleted one of its posts. */
  updatePost(activityId: string, patch: { text?: string | null; attachments?: TimelineAttachment[]; deleted?: boolean }): void {
    const index = this.list.findIndex((e) => e.kind === 'post' && e.activityId === activityId);
    const current = this.list[index];
    if (!current || current.kind !== 'post') return;
    const next: TimelineEntry = {
      ...current,
      ...(patch.text !== undefined ? { text: patch.text } : {}),
      ...(patch.attachments ? { attachments: patch.attachments } : {}),
      edited: current.edited || !patch.deleted,
      deleted: patch.deleted ?? current.deleted,
    };
    this.list[index] = next;
    this.emit({ type: 'updated', entry: next });
  }

  on(listener: TimelineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private add(entry: TimelineEntry): TimelineEntry {
    this.list.push(entry);
    if (this.list.length > this.capacity) this.list.splice(0, this.list.length - this.capacity);
    this.emit({ type: 'added', entry });
    return entry;
  }

  private nextId(): string {
    return `t${++this.seq}`;
  }

  private emit(change: TimelineChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
