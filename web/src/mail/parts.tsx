import type { ReactNode } from 'react';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { MessageSummary } from './mail-api';

/** Colour words next to the colour, so the matrix never relies on colour alone. */
export function ColourDot({ colour }: { colour: string | null | undefined }) {
  const { t } = useI18n();
  if (!colour) return null;
  const key = colour === 'red' ? 'mail.colour.red' : colour === 'yellow' ? 'mail.colour.yellow' : 'mail.colour.green';
  return (
    <span className={`dot dot-${colour}`} title={t(key)}>
      <span className="sr-only">{t(key)}</span>
    </span>
  );
}

export function sender(m: Pick<MessageSummary, 'from'>): string {
  return m.from?.name || m.from?.address || '—';
}

export function MessageLine({ m, children }: { m: MessageSummary; children?: ReactNode }) {
  const { t, formatTime } = useI18n();
  return (
    <span className={m.unread ? 'msg-line unread' : 'msg-line'}>
      <ColourDot colour={m.analysis?.colour} />
      <span className="msg-from">{sender(m)}</span>
      <Link to={`/messages/${m.id}`} className="msg-subject">
        {m.subject || t('mail.noSubject')}
      </Link>
      {m.flagged ? <span className="badge">{t('mail.flagged')}</span> : null}
      {m.pendingSync ? <span className="badge badge-syncing">{t('mail.pending')}</span> : null}
      {(m.tags ?? []).map((tag) => (
        <span key={tag.id} className="badge tag">
          {tag.name}
        </span>
      ))}
      {m.hasAttachments ? <span className="badge">{t('mail.attachment')}</span> : null}
      <span className="msg-date muted">{formatTime(m.date)}</span>
      {children}
    </span>
  );
}
