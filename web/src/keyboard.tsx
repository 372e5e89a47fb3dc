import { useEffect, useRef, useState } from 'react';
import { useI18n } from './i18n';
import { navigate } from './router';

/** What the page on screen does for a key; the shell owns the one keydown listener. */
export interface KeyHandlers {
  next?: () => void;
  previous?: () => void;
  open?: () => void;
  done?: () => void;
  trash?: () => void;
  flag?: () => void;
}

let current: KeyHandlers = {};

/** A page registers its handlers while it is shown (the latest render wins). */
export function useKeyHandlers(handlers: KeyHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    const proxy: KeyHandlers = {
      next: () => ref.current.next?.(),
      previous: () => ref.current.previous?.(),
      open: () => ref.current.open?.(),
      done: () => ref.current.done?.(),
      trash: () => ref.current.trash?.(),
      flag: () => ref.current.flag?.(),
    };
    current = proxy;
    return () => {
      if (current === proxy) current = {};
    };
  }, []);
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

const SHORTCUTS: [string, Parameters<ReturnType<typeof useI18n>['t']>[0]][] = [
  ['j / k', 'keys.nextPrevious'],
  ['o / Enter', 'keys.open'],
  ['e', 'keys.done'],
  ['#', 'keys.trash'],
  ['s', 'keys.flag'],
  ['g d', 'keys.dashboard'],
  ['g l', 'keys.list'],
  ['?', 'keys.help'],
];

/** The shell's keyboard: page keys go to the registered handlers, g-prefixed keys navigate, ? opens help. */
export function KeyboardShortcuts({ enabled }: { enabled: boolean }) {
  const { t } = useI18n();
  const [help, setHelp] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (help && !d.open) d.showModal();
    if (!help && d.open) d.close();
  }, [help]);
  useEffect(() => {
    if (!enabled) return;
    let prefix = false;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target) || document.querySelector('dialog[open]:not(.keys-help)')) return;
      if (prefix) {
        prefix = false;
        if (e.key === 'd') navigate('/');
        else if (e.key === 'l') navigate('/messages');
        else return;
        e.preventDefault();
        return;
      }
      const h = current;
      const map: Record<string, (() => void) | undefined> = {
        j: h.next,
        k: h.previous,
        o: h.open,
        e: h.done,
        '#': h.trash,
        s: h.flag,
      };
      if (e.key === 'Enter' && h.open && !(e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement)) {
        e.preventDefault();
        h.open();
      } else if (e.key === 'g') prefix = true;
      else if (e.key === '?') setHelp(true);
      else if (map[e.key]) {
        e.preventDefault();
        map[e.key]!();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);

  return (
    <dialog ref={dialog} className="keys-help" aria-labelledby="keys-title" onClose={() => setHelp(false)}>
      <h2 id="keys-title">{t('keys.title')}</h2>
      <dl className="facts">
        {SHORTCUTS.map(([key, text]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{t(text)}</dd>
          </div>
        ))}
      </dl>
      <div className="actions">
        <button type="button" onClick={() => setHelp(false)}>
          {t('common.close')}
        </button>
      </div>
    </dialog>
  );
}
