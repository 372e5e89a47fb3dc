import type { MessageKey } from '../messages';
import { useEffect, useState } from 'react';
import { ErrorNote, Loading, Page, Section } from '../components';
import { useI18n } from '../i18n';
import { useKeyHandlers } from '../keyboard';
import {
  CATEGORIES,
  useAccountFolders,
  useCorrection,
  useSuggestedTag,
  useMessage,
  useMessageAction,
  useTags,
  useThread,
  type Address,
  type CalendarInfo,
  type CalendarTime,
  type MessageAction,
  type MessageDetail,
} from '../mail/mail-api';
import { ColourDot, MessageLine } from '../mail/parts';
import { Link, navigate } from '../router';

function addresses(list: Address[] | Address | null | undefined): string {
  const all = Array.isArray(list) ? list : list ? [list] : [];
  return all.map((a) => (a.name ? `${a.name} <${a.address ?? ''}>` : (a.address ?? ''))).join(', ');
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** The iCalendar text's first value of a property (older servers send only the text). */
function icsField(content: string | undefined, name: string): string | undefined {
  const unfolded = (content ?? '').replace(/\r?\n[ \t]/g, '');
  return new RegExp(`^${name}(;[^:]*)?:(.*)$`, 'mi').exec(unfolded)?.[2]?.trim() || undefined;
}

function CalendarCard({ cal }: { cal: CalendarInfo }) {
  const { t, language } = useI18n();
  const when = (v: CalendarTime | string | null | undefined, raw: string): string | undefined => {
    if (v && typeof v === 'object') {
      if (v.allDay && v.date) return new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'full', timeZone: 'UTC' }).format(new Date(`${v.date}T00:00:00Z`));
      if (v.at) {
        const text = new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'full', timeStyle: 'short' }).format(new Date(v.at));
        return v.timeZone ? `${text} (${t('view.writtenIn', { zone: v.timeZone })})` : text;
      }
      return undefined;
    }
    const text = v ?? icsField(cal.content, raw);
    // The iCalendar basic UTC form (20240116T192341Z) as a readable instant.
    const utc = text ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
    if (!utc) return text;
    const at = Date.UTC(+utc[1]!, +utc[2]! - 1, +utc[3]!, +utc[4]!, +utc[5]!, +utc[6]!);
    return new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'full', timeStyle: 'short' }).format(new Date(at));
  };
  const rows: [string, string | undefined][] = [
    [t('view.event'), cal.summary ?? icsField(cal.content, 'SUMMARY')],
    [t('view.start'), when(cal.start, 'DTSTART')],
    [t('view.end'), when(cal.end, 'DTEND')],
    [t('view.location'), cal.location ?? icsField(cal.content, 'LOCATION')],
    [t('view.organizer'), cal.organizer ? addresses(cal.organizer) : undefined],
    [t('view.attendees'), cal.attendees?.length ? String(cal.attendees.length) : undefined],
    [t('view.method'), cal.method ?? icsField(cal.content, 'METHOD')],
  ];
  return (
    <Section title={t('view.calendar')}>
      <dl className="facts" data-testid="calendar-card">
        {rows
          .filter(([, v]) => v)
          .map(([label, v]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
    </Section>
  );
}

function Correction({ m }: { m: MessageDetail }) {
  const { t } = useI18n();
  const correct = useCorrection(m.id);
  const a = m.analysis;
  const level = (name: 'urgency' | 'importance', label: string) => (
    <label className="filter">
      {label}
      <select
        value={a[name] ?? ''}
        disabled={correct.isPending}
        data-testid={`correct-${name}`}
        onChange={(e) => correct.mutate({ [name]: Number(e.target.value) })}
      >
        {a[name] === null ? <option value="">—</option> : null}
        {[1, 2, 3].map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="correction">
      {level('urgency', t('dashboard.urgency'))}
      {level('importance', t('dashboard.importance'))}
      <label className="filter">
        {t('list.category')}
        <select value={a.category ?? ''} disabled={correct.isPending} onChange={(e) => correct.mutate({ category: e.target.value })}>
          {a.category === null ? <option value="">—</option> : null}
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {t(`category.${c}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
      <TagChoice m={m} onChange={(tags) => correct.mutate({ tags })} busy={correct.isPending} />
      <SuggestedTags m={m} />
      <label className="check">
        <input type="checkbox" checked={a.isSpam === true} disabled={correct.isPending} onChange={(e) => correct.mutate({ spam: e.target.checked })} />
        {t('view.spam')}
      </label>
      <ErrorNote error={correct.error} />
    </div>
  );
}

/** The analyser's suggested tags not yet on the message, each a one-click "add" (the tag is created if needed). */
function SuggestedTags({ m }: { m: MessageDetail }) {
  const { t } = useI18n();
  const add = useSuggestedTag(m.id);
  const onIt = new Set((m.tags ?? []).map((x) => x.id));
  const have = new Set((m.tags ?? []).map((x) => x.name.toLowerCase()));
  const open = (m.analysis?.suggestedTags ?? []).filter((s) => !(s.tagId && onIt.has(s.tagId)) && !have.has(s.key.toLowerCase()));
  if (!m.tags || open.length === 0) return null;
  return (
    <div className="suggested-tags" role="group" aria-label={t('tags.suggested')}>
      <span className="muted">{t('tags.suggested')}:</span>
      {open.map((s) => (
        <button
          key={s.key}
          type="button"
          className="chip"
          disabled={add.isPending}
          aria-label={t('tags.addSuggested', { name: s.key })}
          data-testid={`suggest-${s.key}`}
          onClick={() => add.mutate(s)}
        >
          + {s.key}
        </button>
      ))}
      <ErrorNote error={add.error} />
    </div>
  );
}

/** The message's tags as checkboxes; hidden while the user has no tags (or the server none). */
function TagChoice({ m, onChange, busy }: { m: MessageDetail; onChange: (ids: string[]) => void; busy: boolean }) {
  const { t } = useI18n();
  const tags = useTags();
  // The box changes at once; the server's answer (new m.tags) replaces the local choice.
  const [chosen, setChosen] = useState<string[] | null>(null);
  useEffect(() => setChosen(null), [m.tags]);
  if (!tags.data?.length || !m.tags) return null;
  const on = new Set(chosen ?? m.tags.map((x) => x.id));
  const choose = (ids: string[]) => {
    setChosen(ids);
    onChange(ids);
  };
  return (
    <fieldset className="tag-choice">
      <legend>{t('list.tag')}</legend>
      {tags.data.map((tag) => (
        <label key={tag.id} className="check">
          <input
            type="checkbox"
            checked={on.has(tag.id)}
            disabled={busy}
            onChange={(e) => choose(e.target.checked ? [...on, tag.id] : [...on].filter((x) => x !== tag.id))}
          />
          {tag.name}
        </label>
      ))}
    </fieldset>
  );
}

function Analysis({ m }: { m: MessageDetail }) {
  const { t } = useI18n();
  const a = m.analysis;
  return (
    <Section title={t('view.analysis')}>
      <p data-testid="analysis-line">
        <ColourDot colour={a.colour} /> {t('view.levels', { urgency: a.urgency ?? '—', importance: a.importance ?? '—', score: a.score ?? '—' })}{' '}
        <span className="muted" data-testid="analysis-source">
          {t('view.source', { source: a.source ?? '—' })}
        </span>
      </p>
      {a.summary ? <p>{a.summary}</p> : null}
      {a.reasons.length > 0 ? (
        <ul data-testid="reasons">
          {a.reasons.map((r, i) => (
            <li key={`${r.code}-${i}`}>{r.text}</li>
          ))}
        </ul>
      ) : null}
      {a.error ? <p className="note note-error">{a.error}</p> : null}
      <Correction m={m} />
    </Section>
  );
}

function Actions({ m, onDeleting }: { m: MessageDetail; onDeleting: (busy: boolean) => void }) {
  const { t } = useI18n();
  const action = useMessageAction();
  const folders = useAccountFolders(m.accountId);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const run = (a: MessageAction, folderId?: string) => {
    if (a === 'delete') {
      onDeleting(true);
      action.mutate({ ids: [m.id], action: a }, { onSuccess: () => navigate('/messages'), onError: () => onDeleting(false) });
    } else action.mutate({ ids: [m.id], action: a, folderId });
  };
  useKeyHandlers({
    done: () => run(m.done ? 'undone' : 'done'),
    trash: () => run('trash'),
    flag: () => run(m.flags.flagged ? 'unflag' : 'flag'),
  });
  return (
    <div className="toolbar" data-testid="message-actions">
      <button type="button" onClick={() => run(m.flags.unread ? 'read' : 'unread')}>{t(m.flags.unread ? 'action.read' : 'action.unread')}</button>
      <button type="button" onClick={() => run(m.flags.flagged ? 'unflag' : 'flag')}>{t(m.flags.flagged ? 'action.unflag' : 'action.flag')}</button>
      <button type="button" onClick={() => run(m.done ? 'undone' : 'done')}>{t(m.done ? 'action.undone' : 'action.done')}</button>
      <label className="filter">
        {t('action.move')}
        <select value="" onChange={(e) => e.target.value && run('move', e.target.value)}>
          <option value="">—</option>
          {(folders.data ?? []).map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => run('trash')}>{t('action.trash')}</button>
      {confirmDelete ? (
        <>
          <button type="button" className="danger" onClick={() => run('delete')}>{t('view.deleteConfirm')}</button>
          <button type="button" onClick={() => setConfirmDelete(false)}>{t('common.cancel')}</button>
        </>
      ) : (
        <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>{t('action.delete')}</button>
      )}
      {m.pendingSync || action.isPending ? <span className="badge badge-syncing" data-testid="pending">{t('mail.pending')}</span> : null}
      {m.done ? <span className="badge" data-testid="done-badge">{t('mail.done')}</span> : null}
      {m.syncError ? <p className="note note-error" role="alert">{t('view.syncError', { error: m.syncError })}</p> : null}
      <ErrorNote error={action.error} />
    </div>
  );
}

function Body({ m }: { m: MessageDetail }) {
  const { t, language } = useI18n();
  const [images, setImages] = useState(false);
  const src = `/api/messages/${m.id}/render?lang=${language}${images ? '&images=1' : ''}`;
  return (
    <section className="card">
      {(m.remoteImages ?? 0) > 0 && !images ? (
        <p className="note">
          {t('view.imagesBlocked', { count: m.remoteImages ?? 0 })}{' '}
          <button type="button" onClick={() => setImages(true)}>
            {t('view.loadImages')}
          </button>
        </p>
      ) : null}
      {/* No allow-scripts, no allow-same-origin: the mail runs nothing and reads nothing of the app. */}
      <iframe key={src} className="mail-frame" title={t('view.body')} src={src} sandbox="allow-popups allow-popups-to-escape-sandbox" referrerPolicy="no-referrer" data-testid="mail-frame" />
    </section>
  );
}

function Thread({ m }: { m: MessageDetail }) {
  const { t } = useI18n();
  const thread = useThread(m.threadId);
  const others = (thread.data ?? []).filter((x) => x.id !== m.id);
  if (others.length === 0) return null;
  return (
    <Section title={t('view.thread')}>
      <ul className="msg-list" data-testid="thread">
        {thread.data!.map((x) => (
          <li key={x.id} className={x.id === m.id ? 'msg-row focused' : 'msg-row'}>
            <MessageLine m={x} />
          </li>
        ))}
      </ul>
    </Section>
  );
}

export function MessageViewPage({ id }: { id: string }) {
  const { t, formatTime } = useI18n();
  // Once a delete is sent the message is not re-read (it would answer 404); a failed delete re-enables it.
  const [deleting, setDeleting] = useState(false);
  const message = useMessage(id, !deleting);
  const m = message.data;
  if (!m) {
    return <Page title={t('view.title')}>{message.isPending ? <Loading /> : <ErrorNote error={message.error} />}</Page>;
  }
  const files = m.attachments.filter((a) => !(a.isInline && a.contentId));
  return (
    <Page title={m.headers.subject || t('mail.noSubject')}>
      <p>
        <Link to="/messages">{t('view.back')}</Link>
      </p>
      <dl className="facts headers">
        <dt>{t('view.from')}</dt>
        <dd>{addresses(m.headers.from)}</dd>
        <dt>{t('view.to')}</dt>
        <dd>{addresses(m.headers.to)}</dd>
        {m.headers.cc?.length ? (
          <>
            <dt>{t('view.cc')}</dt>
            <dd>{addresses(m.headers.cc)}</dd>
          </>
        ) : null}
        <dt>{t('view.date')}</dt>
        <dd>{formatTime(m.date)}</dd>
      </dl>
      <Actions m={m} onDeleting={setDeleting} />
      <Analysis m={m} />
      {m.calendar ? <CalendarCard cal={m.calendar} /> : null}
      <Body m={m} />
      {files.length > 0 ? (
        <Section title={t('view.attachments')}>
          <ul data-testid="attachments">
            {files.map((a) => (
              <li key={a.index}>
                <a href={`/api/messages/${m.id}/attachments/${a.index}`} download={a.filename ?? true}>
                  {a.filename ?? t('view.attachment', { index: a.index + 1 })}
                </a>{' '}
                <span className="muted">
                  {a.contentType}, {sizeText(a.size)}
                </span>
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
      <Thread m={m} />
      {m.sourceAvailable ? (
        <p>
          <a href={`/api/messages/${m.id}/source`} download>
            {t('view.sourceLink')}
          </a>
        </p>
      ) : null}
    </Page>
  );
}
