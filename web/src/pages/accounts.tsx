import { useQuery } from '@tanstack/react-query';
import { ApiError, get } from '../api';
import { ErrorNote, Loading, Page, Table } from '../components';
import { useI18n } from '../i18n';

interface AccountSummary {
  id: string;
  name: string;
  syncState?: string;
  lastSyncAt?: number | null;
}

/** Placeholder until the accounts API lands: lists what GET /api/accounts answers, if it answers. */
export function AccountsPage() {
  const { t, formatTime } = useI18n();
  const accounts = useQuery({
    queryKey: ['accounts'],
    queryFn: () => get<{ items: AccountSummary[] } | AccountSummary[]>('/api/accounts'),
    retry: false,
  });
  const items = accounts.data ? (Array.isArray(accounts.data) ? accounts.data : accounts.data.items) : [];
  const missing = accounts.error instanceof ApiError && accounts.error.status === 404;
  return (
    <Page title={t('accounts.title')}>
      <p className="muted">{t('accounts.placeholder')}</p>
      {accounts.isPending ? <Loading /> : null}
      {missing ? <p className="note">{t('accounts.unavailable')}</p> : <ErrorNote error={accounts.error} />}
      {accounts.data && items.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
      {items.length > 0 ? (
        <Table label={t('accounts.title')} head={[t('accounts.name'), t('common.state'), t('accounts.lastSync')]}>
          {items.map((a) => (
            <tr key={a.id}>
              <td>{a.name}</td>
              <td>{a.syncState ?? '—'}</td>
              <td>{formatTime(a.lastSyncAt)}</td>
            </tr>
          ))}
        </Table>
      ) : null}
    </Page>
  );
}
