import { app } from '@microsoft/teams-js';

/** How long to wait for a host that never answers (a non-Teams page framing us) before giving up. */
export const INITIALIZE_TIMEOUT_MS = 5_000;

export type TabTheme = 'default' | 'dark' | 'contrast';

export type TeamsConnection =
  | { inTeams: true; context: app.Context }
  | { inTeams: false; reason: 'top-level' | 'no-answer' | 'failed'; detail: string };

/**
 * Connects to the Teams host. Opened as a top-level page there is no host at all, so we say so at once
 * instead of waiting; framed by something that is not Teams, teams-js would wait 60 s, so we race it.
 */
export async function connectToTeams(win: Window, timeoutMs = INITIALIZE_TIMEOUT_MS): Promise<TeamsConnection> {
  if (win.parent === win && !win.opener) return { inTeams: false, reason: 'top-level', detail: 'not framed by a host' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([app.initialize().then(() => 'ready' as const), timeout]);
    if (outcome === 'timeout') return { inTeams: false, reason: 'no-answer', detail: `no answer from the host within ${timeoutMs} ms` };
    return { inTeams: true, context: await app.getContext() };
  } catch (error) {
    return { inTeams: false, reason: 'failed', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export function normaliseTheme(theme: string | undefined): TabTheme {
  return theme === 'dark' || theme === 'contrast' ? theme : 'default';
}

/** Applies the Teams theme now and whenever Teams changes it. */
export function followTeamsTheme(doc: Document, initial: string | undefined): void {
  const apply = (theme: string | undefined) => {
    doc.documentElement.dataset.theme = normaliseTheme(theme);
  };
  apply(initial);
  app.registerOnThemeChangeHandler(apply);
}

/** Shows the "not in Teams" notice in a page built from the shared markup. */
export function showOutsideTeams(doc: Document, connection: Extract<TeamsConnection, { inTeams: false }>): void {
  const status = doc.getElementById('status');
  if (status) status.textContent = '';
  const notice = doc.getElementById('outside-teams');
  if (notice) {
    notice.hidden = false;
    notice.dataset.reason = connection.reason;
  }
}

export function showFailure(doc: Document, message: string): void {
  const status = doc.getElementById('status');
  if (status) status.textContent = '';
  const text = doc.getElementById('failure-text');
  if (text) text.textContent = message;
  const box = doc.getElementById('failure');
  if (box) box.hidden = false;
}
