/** Configuration page of Herald's configurable tab (/tab/config.html): names the tab and saves it. */
import { app, pages } from '@microsoft/teams-js';
import { byId } from '../tab/dom.js';
import { connectToTeams, followTeamsTheme, showFailure, showOutsideTeams } from '../tab/teamsSession.js';

/** The `entityId` of Herald's tab in a chat (also the manifest's static tab id). */
export const TAB_ENTITY_ID = 'herald-chat';

async function boot(doc: Document, win: Window): Promise<void> {
  const status = byId(doc, 'status');
  const connection = await connectToTeams(win);
  if (!connection.inTeams) return showOutsideTeams(doc, connection);
  followTeamsTheme(doc, connection.context.app.theme);
  if (!pages.config.isSupported()) return showFailure(doc, 'This Teams client cannot configure tabs here.');

  const nameInput = byId<HTMLInputElement>(doc, 'tab-name');
  const tabName = () => nameInput.value.trim();
  pages.config.registerOnSaveHandler((saveEvent) => {
    const contentUrl = new URL('/tab/index.html', win.location.href).href;
    pages.config
      .setConfig({ entityId: TAB_ENTITY_ID, contentUrl, suggestedDisplayName: tabName() || 'Herald' })
      .then(() => saveEvent.notifySuccess())
      .catch((error: unknown) => saveEvent.notifyFailure(error instanceof Error ? error.message : String(error)));
  });
  nameInput.addEventListener('input', () => pages.config.setValidityState(tabName().length > 0));
  pages.config.setValidityState(tabName().length > 0);

  byId(doc, 'app').hidden = false;
  status.textContent = 'Ready. Select Save to add the tab.';
  void app.notifySuccess().catch(() => undefined);
  doc.body.dataset.ready = 'true';
}

void boot(document, window).catch((error: unknown) => {
  showFailure(document, `Herald's tab setup failed to start: ${error instanceof Error ? error.message : String(error)}`);
});
