import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { ErrorNote, Loading, Page } from '../components';
import { useI18n } from '../i18n';
import { ACCOUNTS_KEY } from '../live-sync';
import { Link } from '../router';
import type { Account } from '../types';
import { SyncFacts, SyncPanel } from './account-parts';

/** The user's mail accounts with their sync state; each links to its own page. */
export function AccountsPage() {
  const { t } = useI18n();
  const accounts = useQuery({ queryKey: ACCOUNTS_KEY, queryFn: () => get<{ items: Account[] }>('/api/accounts') });
  const items = accounts.data?.items ?? [];
  return (
    <Page title={t('accounts.title')}>
      <div className="actions page-actions">
        <Link to="/accounts/new" className="button primary">
          {t('accounts.add')}
        </Link>
      </div>
      {accounts.isPending ? <Loading /> : null}
      <ErrorNote error={accounts.error} />
      {accounts.data && items.length === 0 ? <p className="muted">{t('accounts.empty')}</p> : null}
      <ul className="account-list" aria-label={t('accounts.title')}>
        {items.map((a) => (
          <li key={a.id} className="card" data-testid="account">
            <h2>
              <Link to={`/accounts/${a.id}`}>{a.name}</Link>
            </h2>
            <p className="muted break">
              {a.imap.user} · {a.imap.host}:{a.imap.port}
            </p>
            <SyncFacts account={a} />
            <SyncPanel account={a} />
          </li>
        ))}
      </ul>
    </Page>
  );
}
