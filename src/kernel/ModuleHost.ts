import type { Messages } from '../i18n/Messages.js';

/**
 * What the composition root (src/app) offers a feature module besides the dependencies the module
 * names itself: a place in Herald's start and stop, a `/healthz` section and `@Herald status` lines.
 * Modules never import the composition root; it hands them this.
 */
export interface ModuleHost {
  /** Runs after the server listens (e.g. start-up reconcile, inbox replay), in registration order. */
  onStart(hook: () => Promise<void> | void): void;
  /** Runs on shutdown, in reverse order of registration, before storage is flushed. */
  onStop(hook: () => Promise<void> | void): void;
  /** Adds a named section to the `/healthz` document. */
  reportHealth(section: string, read: () => unknown): void;
  /** Adds lines to `@Herald status` for a chat, written with the chat's messages. */
  addStatusLines(provider: (chatId: string, messages: Messages) => string[] | Promise<string[]>): void;
}
