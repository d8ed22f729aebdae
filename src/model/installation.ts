import type { ConversationReference } from 'botbuilder';

export type InstallationStatus = 'installed' | 'uninstalled';

/** One group chat Herald is (or was) installed in. */
export interface Installation {
  chatId: string;
  tenantId: string;
  serviceUrl: string;
  conversationReference: Partial<ConversationReference>;
  status: InstallationStatus;
  installedAt: string;
  uninstalledAt: string | null;
  /** Why Herald considers itself removed (e.g. connector 403). */
  uninstallReason: string | null;
  lastActivityAt: string;
}
