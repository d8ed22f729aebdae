/** The side panel's people list and the header's avatars and title. */
import type { ChatView, MemberView } from '../../sim/playground/PlaygroundController.js';
import { avatar, el } from './dom.js';

const MARKERS: Record<MemberView['kind'], string | null> = { member: null, guest: 'Guest', external: 'External' };

export function renderPeople(list: HTMLUListElement, chat: ChatView, onRemove: (member: MemberView) => void): void {
  const items = chat.members.map((m) => {
    const marker = MARKERS[m.kind];
    const name = el('span', { className: 'name', attrs: { title: m.name } }, [
      el('span', { className: 'full-name', text: m.name }),
      marker ? el('span', { className: 'marker', text: marker }) : null,
      m.acting ? el('span', { className: 'you', text: '\u00a0(you)' }) : null,
    ]);
    const remove = el('button', { className: 'remove', text: m.acting ? 'Leave' : 'Remove', attrs: { type: 'button', 'aria-label': m.acting ? `Leave the chat as ${m.name}` : `Remove ${m.name} from the chat` } });
    remove.disabled = chat.members.length <= 1;
    remove.addEventListener('click', () => onRemove(m));
    return el('li', { attrs: { 'data-user-id': m.userId } }, [avatar(m.name), el('span', { className: 'who' }, [name, el('span', { className: 'org', text: m.organisation })]), remove]);
  });
  list.replaceChildren(...items);
}

export function renderHeader(avatars: HTMLElement, title: HTMLElement, chat: ChatView): void {
  avatars.replaceChildren(...chat.members.slice(0, 3).map((m) => avatar(m.name)));
  const untitled = chat.members.map((m) => m.name.split(' ')[0]).join(', ');
  title.textContent = chat.topic ?? untitled;
  title.classList.toggle('untitled', !chat.topic);
  document.title = `${chat.topic ?? 'Group chat'} · Herald playground`;
}

export function renderActing(select: HTMLSelectElement, chat: ChatView): void {
  const options = chat.members.map((m) => el('option', { text: m.name, attrs: { value: m.userId } }));
  select.replaceChildren(...options);
  select.value = chat.acting.userId;
}
