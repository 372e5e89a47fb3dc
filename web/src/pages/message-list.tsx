import type { MessageKey } from '../messages';
import { useEffect, useMemo, useState } from 'react';
import { ErrorNote, Loading, Page } from '../components';
import { useI18n } from '../i18n';
import { useKeyHandlers } from '../keyboard';
import { useAccounts } from '../mail/accounts';
import { CATEGORIES, FILTER_KEYS, filterQuery, useAccountFolders, useMessageAction, useMessages, useTags, type ListFilter, type MessageAction } from '../mail/mail-api';
import { MessageLine } from '../mail/parts';
import { navigate, useSearch } from '../router';

function readFilter(search: string): ListFilter {
  const params = new URLSearchParams(search);
  const filter: ListFilter = {};
  for (const key of FILTER_KEYS) {
    const v = params.get(key);
    if (v) filter[key] = v;
  }
  return filter;
}

const BULK: MessageAction[] = ['read', 'unread', 'flag', 'unflag', 'done', 'trash'];

/** The message list: filters live in the address, so a cell of the matrix is a link. */
export function MessageListPage() {
  const { t } = useI18n();
  const search = useSearch();
  const filter = useMemo(() => readFilter(search), [search]);
  const accounts = useAccounts();
  const tags = useTags();
  const folders = useAccountFolders(filter.account);
  const messages = useMessages(filter);
  const action = useMessageAction();
  const items = useMemo(() => messages.data?.pages.flatMap((p) => p.items) ?? [], [messages.data]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [cursor, setCursor] = useState(0);
  useEffect(() => {
    setSelected(new Set());
    setCursor(0);
  }, [search]);

  const setFilter = (key: keyof ListFilter, value: string) => {
    const next = { ...filter, [key]: value || undefined };
    if (key === 'account') delete next.folderId;
    navigate(`/messages${filterQuery(next)}`, { replace: true });
  };
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const focused = items[cursor];
  const act = (a: MessageAction, ids: string[]) => {
    if (ids.length > 0) action.mutate({ ids, action: a });
  };
  useKeyHandlers({
    next: () => setCursor((c) => Math.min(c + 1, Math.max(items.length - 1, 0))),
    previous: () => setCursor((c) => Math.max(c - 1, 0)),
    open: () => focused && navigate(`/messages/${focused.id}`),
    done: () => focused && act('done', [focused.id]),
    trash: () => focused && act('trash', [focused.id]),
    flag: () => focused && act(focused.flagged ? 'unflag' : 'flag', [focused.id]),
  });
  useEffect(() => {
    document.querySelector('.msg-row.focused')?.scrollIntoView({ block: 'nearest' });
  }, [cursor]);

  const select = (key: keyof ListFilter, label: string, options: [string, string][]) => (
    <label className="filter">
      {label}
      <select value={filter[key] ?? ''} onChange={(e) => setFilter(key, e.target.value)} data-testid={`filter-${key}`}>
        <option value="">{t('mail.any')}</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
  const yesNo: [string, string][] = [
    ['1', t('common.yes')],
    ['0', t('common.no')],
  ];
  const dateField = (key: 'since' | 'until', label: string) => (
    <label className="filter">
      {label}
      <input type="date" value={filter[key] ?? ''} onChange={(e) => setFilter(key, e.target.value)} data-testid={`filter-${key}`} />
    </label>
  );
  const cells: [string, string][] = [];
  for (const u of [3, 2, 1]) for (const i of [3, 2, 1]) cells.push([`${u},${i}`, t('dashboard.cell', { urgency: u, importance: i })]);

  return (
    <Page title={t('list.title')}>
      <form className="filters" aria-label={t('list.filters')} onSubmit={(e) => e.preventDefault()}>
        {select('account', t('mail.account'), (accounts.data ?? []).map((a) => [a.id, a.name]))}
        {filter.account ? select('folderId', t('mail.folder'), (folders.data ?? []).map((f) => [f.id, f.name])) : null}
        {select('cell', t('list.cell'), cells)}
        {select('colour', t('list.colour'), [
          ['red', t('mail.colour.red')],
          ['yellow', t('mail.colour.yellow')],
          ['green', t('mail.colour.green')],
        ])}
        {select('category', t('list.category'), CATEGORIES.map((c) => [c, t(`category.${c}` as MessageKey)]))}
        {tags.data?.length ? select('tag', t('list.tag'), tags.data.map((tag) => [tag.id, tag.name])) : null}
        {select('unread', t('list.unread'), yesNo)}
        {select('flagged', t('list.flagged'), yesNo)}
        {select('done', t('list.done'), yesNo)}
        {select('attachments', t('list.attachments'), yesNo)}
        {select('calendar', t('list.calendar'), yesNo)}
        {dateField('since', t('list.since'))}
        {dateField('until', t('list.until'))}
        <label className="filter">
          {t('list.sort')}
          <select value={filter.sort ?? 'date'} onChange={(e) => setFilter('sort', e.target.value === 'date' ? '' : e.target.value)} data-testid="sort">
            <option value="date">{t('list.sortDate')}</option>
            <option value="score">{t('list.sortScore')}</option>
          </select>
        </label>
      </form>
      <div className="toolbar" aria-live="polite">
        <label className="check">
          <input
            type="checkbox"
            checked={items.length > 0 && selected.size === items.length}
            disabled={items.length === 0}
            onChange={(e) => setSelected(new Set(e.target.checked ? items.map((m) => m.id) : []))}
          />
          {t('list.selectAll')}
        </label>
        <span data-testid="selected-count">{t('list.selected', { count: selected.size })}</span>
        {BULK.map((a) => (
          <button key={a} type="button" disabled={selected.size === 0 || action.isPending} onClick={() => act(a, [...selected])}>
            {t(`action.${a}` as MessageKey)}
          </button>
        ))}
      </div>
      <ErrorNote error={action.error ?? messages.error} />
      {messages.isPending ? <Loading /> : null}
      {messages.isSuccess && items.length === 0 ? <p className="empty">{t('list.empty')}</p> : null}
      {items.length > 0 ? (
        <ul className="msg-list" aria-label={t('list.title')} data-testid="message-list">
          {items.map((m, index) => (
            <li key={m.id} className={index === cursor ? 'msg-row focused' : 'msg-row'} aria-current={index === cursor || undefined}>
              <input type="checkbox" checked={selected.has(m.id)} onChange={() => toggle(m.id)} aria-label={t('list.select', { subject: m.subject || t('mail.noSubject') })} />
              <MessageLine m={m} />
              {m.analysis?.summary ? <span className="msg-summary muted">{m.analysis.summary}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {messages.hasNextPage ? (
        <button type="button" onClick={() => void messages.fetchNextPage()} disabled={messages.isFetchingNextPage}>
          {t('common.loadMore')}
        </button>
      ) : null}
    </Page>
  );
}
