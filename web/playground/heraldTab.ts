/**
 * Herald's companion tab inside the page, framed by the simulated Teams host (the tab's real teams-js code
 * runs unchanged); its SSO token comes from the playground's token route, signed by the login double.
 */
import type { ChatView } from '../../sim/playground/PlaygroundController.js';
import { SimulatedTeamsHost, type HostTheme } from '../teamsHost/SimulatedTeamsHost.js';
import { callApi } from './api.js';

export class HeraldTabPane {
  private host: SimulatedTeamsHost | null = null;
  private loadedFor: string | null = null;

  constructor(
    private readonly iframe: HTMLIFrameElement,
    private readonly note: HTMLElement,
  ) {}

  /** Loads (or reloads, for another person) the tab when its pane is shown. */
  show(chat: ChatView, theme: HostTheme): void {
    this.note.textContent = chat.heraldInstalled
      ? `Herald’s tab as ${chat.acting.name} sees it in Teams (teams-js talks to a simulated Teams host).`
      : 'Herald is not in this chat: add it first, then its tab shows the chat’s history and settings.';
    const key = `${chat.chatId}|${chat.acting.userId}|${chat.heraldInstalled}`;
    if (this.loadedFor === key) return;
    this.loadedFor = key;
    const me = chat.members.find((m) => m.userId === chat.acting.userId);
    this.host?.stop();
    this.host = new SimulatedTeamsHost({
      iframe: this.iframe,
      context: {
        chatId: chat.chatId,
        tenantId: chat.tenantId,
        userObjectId: chat.acting.userId,
        userPrincipalName: '',
        userDisplayName: me?.name ?? chat.acting.name,
        theme,
        locale: navigator.language || 'en-US',
        entityId: 'herald-chat',
        frameContext: 'content',
      },
      async getAuthToken() {
        const { token } = await callApi<{ token: string }>('GET', `sso-token?oid=${encodeURIComponent(chat.acting.userId)}`);
        return token;
      },
    });
    this.host.load('/tab/index.html');
  }

  setTheme(theme: HostTheme): void {
    this.host?.setTheme(theme);
  }
}
