/** Herald's companion tab (content page, /tab/index.html). */
import { app, authentication } from '@microsoft/teams-js';
import { byId } from './dom.js';
import { HistoryView } from './historyView.js';
import { SettingsView } from './settingsView.js';
import { SubscriptionsView } from './subscriptionsView.js';
import { describeApiError, TabApiClient, TabApiError } from './TabApiClient.js';
import type { ChatSettings } from '../../src/model/chat.js';
import { ENGLISH, readerLocale, tabMessages, translatePage } from './i18n.js';
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
  void app.notifySuccess().catch(() => undefined);

  // Until the chat's language is known, the person's own Teams language.
  const personal = tabMessages(null, context.app.locale);
  translatePage(doc, personal);
  const chatId = context.chat?.id;
  if (!chatId) return showFailure(doc, personal.text('tab.notGroupChat'));

  const api = new TabApiClient(chatId, () => authentication.getAuthToken());

  // One call first: it proves the token and the membership before anything is shown, and names the chat's language.
  announce(personal.text('tab.signingIn'));
  let chatLanguage: string | null;
  try {
    chatLanguage = (await api.settings()).settings.language ?? null;
  } catch (error) {
    const forbidden = error instanceof TabApiError && error.status === 403;
    return showFailure(doc, forbidden ? personal.text('tab.membersOnly') : describeApiError(error, personal));
  }
  let m = tabMessages(chatLanguage, context.app.locale);
  translatePage(doc, m);
  const locale = readerLocale(m, context.app.locale);
  // A language chosen in Settings is the chat's from then on: the whole page switches to it at once.
  const switchLanguage = (saved: ChatSettings) => {
    const next = tabMessages(saved.language ?? null, context.app.locale);
    if (next === m) return;
    m = next;
    translatePage(doc, m);
    settings.setMessages(m);
    history.setMessages(m, readerLocale(m, context.app.locale));
    subscriptions.setMessages(m, readerLocale(m, context.app.locale));
  };
  const settings: SettingsView = new SettingsView(doc, api, announce, m, switchLanguage);
  const history = new HistoryView(doc, api, announce, locale, m);
  const subscriptions = new SubscriptionsView(doc, api, announce, locale, m);

  byId(doc, 'app').hidden = false;
  setUpTablist(byId(doc, 'app'), (panelId) => {
    if (panelId === 'panel-subscriptions') void subscriptions.load();
    if (panelId === 'panel-history') void history.load(true);
  });
  await Promise.all([history.load(true), settings.load()]);
  doc.body.dataset.ready = 'true';
}

void boot(document, window).catch((error: unknown) => {
  showFailure(document, ENGLISH.text('tab.failedToStart', { error: error instanceof Error ? error.message : String(error) }));
});
