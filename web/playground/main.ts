/**
 * The playground page: a small Teams group chat over the simulated world. Controls call the playground
 * API; everything shown arrives over one server-sent event stream (a snapshot, then changes).
 */
import type { ChatView, PlaygroundView, SubscriptionRow, TroubleKind } from '../../sim/playground/PlaygroundController.js';
import type { TimelineChange } from '../../sim/playground/Timeline.js';
import type { WireItem } from '../../sim/playground/wireView.js';
import { ApiError, callApi } from './api.js';
import { byId } from './dom.js';
import { HeraldTabPane } from './heraldTab.js';
import { renderActing, renderHeader, renderPeople } from './peoplePanel.js';
import { StreamView } from './streamView.js';
import { WirePanel } from './wirePanel.js';

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
let chat: ChatView | null = null;

/** A card button pressed as the acting person; Herald's answer is the card they then see. */
const pressCardAction = async (activityId: string, verb: string, data: Record<string, unknown>): Promise<unknown> =>
  (await callApi<{ card: unknown }>('POST', 'card-actions', { activityId, verb, data })).card;

const stream = new StreamView(byId<HTMLOListElement>('stream'), { actingUserId: '', dark: darkQuery.matches, pressCardAction }, byId<HTMLButtonElement>('new-messages'));
const wire = new WirePanel(byId<HTMLTableElement>('subscriptions'), byId<HTMLOListElement>('wire-list'), document.querySelector('.wire-filters') as HTMLElement);
const tabPane = new HeraldTabPane(byId<HTMLIFrameElement>('herald-tab'), byId('herald-tab-note'));

// ---- feedback -------------------------------------------------------------------------------
const toast = byId('toast');
let toastTimer: ReturnType<typeof setTimeout> | undefined;
function say(message: string): void {
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), 5000);
}

/** Runs a control with its button disabled; errors become a toast. */
async function act(button: HTMLButtonElement | null, work: () => Promise<unknown>): Promise<boolean> {
  if (button) button.disabled = true;
  try {
    await work();
    return true;
  } catch (error) {
    say(error instanceof ApiError ? error.message : `Something went wrong: ${String(error)}`);
    return false;
  } finally {
    if (button) button.disabled = false;
    if (chat) renderChat(chat);
  }
}

// ---- rendering ------------------------------------------------------------------------------
function currentTheme(): 'dark' | 'default' {
  return darkQuery.matches ? 'dark' : 'default';
}

function renderChat(next: ChatView): void {
  chat = next;
  renderHeader(byId('header-avatars'), byId('chat-title'), next);
  renderActing(byId<HTMLSelectElement>('acting'), next);
  byId('people-count').textContent = `(${next.members.length})`;
  renderPeople(byId<HTMLUListElement>('people'), next, (member) => {
    void act(null, () => callApi('DELETE', `members/${encodeURIComponent(member.userId)}`));
  });
  const state = byId('herald-state');
  state.textContent = next.heraldInstalled ? 'Added to this chat' : 'Not added';
  state.classList.toggle('installed', next.heraldInstalled);
  byId<HTMLButtonElement>('install').disabled = next.heraldInstalled;
  byId<HTMLButtonElement>('remove').disabled = !next.heraldInstalled;
  for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-trouble]'))) {
    const kind = button.dataset.trouble as TroubleKind;
    const armed = kind === 'drop' || kind === 'duplicate' || kind === 'throttle' ? next.armed[kind] : false;
    button.setAttribute('aria-pressed', String(armed));
  }
  document.body.dataset.installed = String(next.heraldInstalled);
  stream.setContext({ actingUserId: next.acting.userId, dark: darkQuery.matches, pressCardAction });
  if (!byId('panel-herald').hidden) tabPane.show(next, currentTheme());
}

function applySnapshot(view: PlaygroundView): void {
  stream.setContext({ actingUserId: view.chat.acting.userId, dark: darkQuery.matches, pressCardAction });
  stream.reset(view.timeline);
  wire.reset(view.wire, view.subscriptions);
  renderChat(view.chat);
  document.body.dataset.ready = 'true';
}

// ---- live stream ----------------------------------------------------------------------------
function connect(): void {
  const connection = byId('connection');
  const events = new EventSource('/playground/api/events');
  const parse = <T>(event: MessageEvent): T => JSON.parse(String(event.data)) as T;
  events.addEventListener('open', () => {
    connection.dataset.state = 'live';
    connection.textContent = 'Live';
  });
  events.addEventListener('error', () => {
    connection.dataset.state = events.readyState === EventSource.CLOSED ? 'down' : 'connecting';
    connection.textContent = 'Reconnecting…';
  });
  events.addEventListener('snapshot', (e) => applySnapshot(parse<PlaygroundView>(e as MessageEvent)));
  events.addEventListener('chat', (e) => renderChat(parse<ChatView>(e as MessageEvent)));
  events.addEventListener('timeline', (e) => {
    const change = parse<TimelineChange>(e as MessageEvent);
    if (change.type === 'added') stream.add(change.entry);
    else stream.update(change.entry);
  });
  events.addEventListener('wire', (e) => wire.add(parse<WireItem>(e as MessageEvent)));
  events.addEventListener('subscriptions', (e) => wire.setSubscriptions(parse<SubscriptionRow[]>(e as MessageEvent)));
}

// ---- controls -------------------------------------------------------------------------------
function submitButton(form: HTMLFormElement): HTMLButtonElement | null {
  return form.querySelector<HTMLButtonElement>('button[type="submit"]');
}

// Adding someone never blocks the next one: name and kind are taken and the form reset at once, so a
// person typed while the previous Add is still on its way is neither refused nor wiped when it returns.
// A failed Add puts its name and kind back (unless a new name is being typed) and says why.
const addForm = byId<HTMLFormElement>('add-member');
addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const nameInput = byId<HTMLInputElement>('member-name');
  const name = nameInput.value;
  const kind = (addForm.querySelector<HTMLInputElement>('input[name="kind"]:checked')?.value ?? 'member') as string;
  addForm.reset();
  nameInput.focus();
  void act(null, () => callApi('POST', 'members', { name, kind })).then((ok) => {
    if (ok || nameInput.value) return;
    nameInput.value = name;
    const kindInput = addForm.querySelector<HTMLInputElement>(`input[name="kind"][value="${kind}"]`);
    if (kindInput) kindInput.checked = true;
  });
});

byId<HTMLButtonElement>('install').addEventListener('click', (event) => {
  void act(event.currentTarget as HTMLButtonElement, () => callApi('POST', 'herald/install'));
});
byId<HTMLButtonElement>('remove').addEventListener('click', (event) => {
  void act(event.currentTarget as HTMLButtonElement, () => callApi('POST', 'herald/remove'));
});

for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-trouble]'))) {
  button.addEventListener('click', () => {
    void act(button, async () => {
      const result = await callApi<{ kind: TroubleKind; affected: number }>('POST', `trouble/${button.dataset.trouble ?? ''}`);
      say(troubleSaid(result.kind, result.affected));
    });
  });
}

/** What the toast says once a trouble is armed or sent. */
function troubleSaid(kind: TroubleKind, affected: number): string {
  switch (kind) {
    case 'drop':
      return 'Armed: Graph loses the next change notification for this chat and tells Herald it missed one.';
    case 'duplicate':
      return 'Armed: Graph delivers the next change notification twice.';
    case 'throttle':
      return 'Armed: Herald’s next call to Graph answers 429. Add or remove Herald (or drop a notification) to make one; the chat and the Wire tab show the 429 and the retry.';
    default:
      return `Sent to ${affected} subscription${affected === 1 ? '' : 's'}.`;
  }
}

const compose = byId<HTMLFormElement>('compose');
compose.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('compose-input');
  if (!input.value.trim()) return;
  const text = input.value;
  void act(submitButton(compose), () => callApi('POST', 'messages', { text })).then((ok) => {
    if (ok) input.value = '';
    input.focus();
  });
});

byId<HTMLSelectElement>('acting').addEventListener('change', (event) => {
  const select = event.currentTarget as HTMLSelectElement;
  void act(null, () => callApi('PUT', 'acting', { userId: select.value }));
});

// Rename: the pencil opens an inline form, as in Teams.
const renameForm = byId<HTMLFormElement>('rename-form');
const renameInput = byId<HTMLInputElement>('rename-input');
const renameOpen = byId<HTMLButtonElement>('rename-open');
function closeRename(): void {
  renameForm.hidden = true;
  byId('chat-title').hidden = false;
  renameOpen.hidden = false;
  renameOpen.focus();
}
renameOpen.addEventListener('click', () => {
  renameInput.value = chat?.topic ?? '';
  renameForm.hidden = false;
  byId('chat-title').hidden = true;
  renameOpen.hidden = true;
  renameInput.focus();
  renameInput.select();
});
byId('rename-cancel').addEventListener('click', closeRename);
renameInput.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeRename();
});
renameForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void act(submitButton(renameForm), () => callApi('PUT', 'topic', { topic: renameInput.value })).then((ok) => {
    if (ok) closeRename();
  });
});

// Tabs (arrow keys move between them, as the ARIA tabs pattern asks).
const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>('[role="tab"]'));
function selectTab(tab: HTMLButtonElement): void {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute('aria-selected', String(selected));
    t.tabIndex = selected ? 0 : -1;
    byId(t.getAttribute('aria-controls') ?? '').hidden = !selected;
  }
  if (tab.id === 'tab-herald' && chat) tabPane.show(chat, currentTheme());
  if (tab.id === 'tab-chat') stream.shown();
}
for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (event) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    if (next) {
      selectTab(next);
      next.focus();
    }
  });
}

darkQuery.addEventListener('change', () => {
  if (chat) stream.setContext({ actingUserId: chat.acting.userId, dark: darkQuery.matches, pressCardAction });
  tabPane.setTheme(currentTheme());
});
setInterval(() => wire.tick(), 30_000);

connect();
