/**
 * Bundle entry for the simulated Teams host (public/build/teamsHost.js, served as /tab/build/teamsHost.js).
 * Exposes `window.HeraldTeamsHost.SimulatedTeamsHost` for pages that build their own host (the playground
 * can also import SimulatedTeamsHost.ts into its bundle), and boots the demo page /tab/host-demo.html:
 *
 *   /tab/host-demo.html?page=content|config&chatId=…&tenantId=…&userId=…&name=…&upn=…&theme=default|dark|contrast
 *                      &locale=en-GB&chatName=…&tokenUrl=/same-origin/route
 *
 * `tokenUrl` is called as `GET tokenUrl?oid=…&tid=…&name=…&upn=…` and must answer `{ "token": "<jwt>" }`.
 */
import { SimulatedTeamsHost, type HostTheme, type SimulatedTabContext } from './SimulatedTeamsHost.js';

declare global {
  interface Window {
    HeraldTeamsHost?: { SimulatedTeamsHost: typeof SimulatedTeamsHost };
    /** The demo page's host instance (tests read its state). */
    heraldTeamsHost?: SimulatedTeamsHost;
  }
}

window.HeraldTeamsHost = { SimulatedTeamsHost };

function theme(value: string | null): HostTheme {
  return value === 'dark' || value === 'contrast' ? value : 'default';
}

/** Only same-origin paths: the demo must not send people's details to another site. */
function sameOriginPath(value: string | null): string | null {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : null;
}

function bootDemo(doc: Document, win: Window): void {
  const q = new URLSearchParams(win.location.search);
  const page = q.get('page') === 'config' ? 'config' : 'content';
  const iframe = doc.getElementById('host-tab') as HTMLIFrameElement;
  const status = doc.getElementById('host-status') as HTMLElement;
  const saveButton = doc.getElementById('host-save') as HTMLButtonElement;
  const themeSelect = doc.getElementById('host-theme') as HTMLSelectElement;
  const chatName = q.get('chatName') ?? 'Group chat';
  (doc.getElementById('host-chat-name') as HTMLElement).textContent = chatName;

  const context: SimulatedTabContext = {
    chatId: q.get('chatId') ?? '',
    tenantId: q.get('tenantId') ?? '',
    userObjectId: q.get('userId') ?? '',
    userDisplayName: q.get('name') ?? '',
    userPrincipalName: q.get('upn') ?? '',
    theme: theme(q.get('theme')),
    locale: q.get('locale') ?? 'en-US',
    entityId: page === 'config' ? null : 'herald-chat',
    frameContext: page === 'config' ? 'settings' : 'content',
  };
  const tokenUrl = sameOriginPath(q.get('tokenUrl'));

  const applyTheme = (t: HostTheme) => {
    doc.documentElement.dataset.theme = t;
    themeSelect.value = t;
  };
  applyTheme(context.theme);

  const host = new SimulatedTeamsHost({
    iframe,
    context,
    async getAuthToken() {
      if (!tokenUrl) throw new Error('no tokenUrl given to the simulated host');
      const params = new URLSearchParams({ oid: context.userObjectId, tid: context.tenantId, name: context.userDisplayName, upn: context.userPrincipalName });
      const response = await win.fetch(`${tokenUrl}${tokenUrl.includes('?') ? '&' : '?'}${params.toString()}`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`token route answered ${response.status}`);
      const body = (await response.json()) as { token?: unknown };
      if (typeof body.token !== 'string') throw new Error('token route gave no token');
      return body.token;
    },
    onValidityChange(valid) {
      saveButton.disabled = !valid;
    },
    onConfigSaved(config) {
      status.textContent = `Tab saved as “${config.suggestedDisplayName ?? 'Herald'}”.`;
      host.load(config.contentUrl ?? '/tab/index.html', { frameContext: 'content', entityId: config.entityId ?? 'herald-chat' });
      saveButton.hidden = true;
    },
  });
  win.heraldTeamsHost = host;

  themeSelect.addEventListener('change', () => {
    const t = theme(themeSelect.value);
    applyTheme(t);
    host.setTheme(t);
  });

  if (page === 'config') {
    saveButton.hidden = false;
    saveButton.addEventListener('click', () => {
      saveButton.disabled = true;
      host.save().catch((error: unknown) => {
        status.textContent = `Could not save the tab: ${error instanceof Error ? error.message : String(error)}`;
        saveButton.disabled = !host.isValid;
      });
    });
  }
  host.load(page === 'config' ? '/tab/config.html' : '/tab/index.html');
}

if (document.body?.hasAttribute('data-teams-host-demo')) bootDemo(document, window);
