/** Herald's companion tab (content page, /tab/index.html). */
import { app, authentication } from '@microsoft/teams-js';
import { byId } from './dom.js';
import { HistoryView } from './historyView.js';
import { SettingsView } from './settingsView.js';
import { SubscriptionsView } from './subscriptionsView.js';
import { describeApiError, TabApiClient, TabApiError } from './TabApiClient.js';
import { setUpTablist } from './tablist.js';
import { connectToTeams, followTeamsTheme, showFailure, showOutsideTeams } from './teamsSession.js';

async function boot(doc: Document, win: Window): Promise<void> {
  const status = byId(doc, 'status');
  const announce = (message: string) => {
    status.textContent = message;
  };

  const connection = await connectToTeams(win);
  if (!connection.inTeams) return showOutsideTeams(doc, connection);
  const context = connection.context;
  followTeamsTheme(doc, context.app.theme);
  if (context.app.locale) doc.documentElement.lang = context.app.locale;
  void app.notifySuccess().catch(() => undefined);

  const chatId = context.chat?.id;
  if (!chatId) return showFailure(doc, "This tab belongs in a group chat. Add Herald's tab to a group chat to see its history and settings.");

  const api = new TabApiClient(chatId, () => authentication.getAuthToken());
  const settings = new SettingsView(doc, api, announce);
  const history = new HistoryView(doc, api, announce, context.app.locale);
  const subscriptions = new SubscriptionsView(doc, api, announce, context.app.locale);

  // One call first: it proves the token and the membership before anything is shown.
  announce('Signing you in…');
  try {
    await api.settings();
  } catch (error) {
    const forbidden = error instanceof TabApiError && error.status === 403;
    return showFailure(doc, forbidden ? 'Only members of this chat can see Herald here. Ask a member to add you to the chat.' : describeApiError(error));
  }

  byId(doc, 'app').hidden = false;
  setUpTablist(byId(doc, 'app'), (panelId) => {
    if (panelId === 'panel-subscriptions') void subscriptions.load();
    if (panelId === 'panel-history') void history.load(true);
  });
  await Promise.all([history.load(true), settings.load()]);
  doc.body.dataset.ready = 'true';
}

void boot(document, window).catch((error: unknown) => {
  showFailure(document, `Herald's tab failed to start: ${error instanceof Error ? error.message : String(error)}`);
});
