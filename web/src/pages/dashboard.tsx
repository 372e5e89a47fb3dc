import { ErrorNote, Loading, Page } from '../components';
import { useI18n } from '../i18n';
import { useAccounts } from '../mail/accounts';
import { useDashboard, type DashboardCell } from '../mail/mail-api';
import { MessageLine } from '../mail/parts';
import { Link, navigate, useSearch } from '../router';

function cellLink(c: DashboardCell, account: string | undefined): string {
  const q = new URLSearchParams({ cell: `${c.urgency},${c.importance}` });
  if (account) q.set('account', account);
  return `/messages?${q.toString()}`;
}

/** The 3×3 priority matrix: urgency rows (3 on top), importance columns (1 on the left). */
export function DashboardPage() {
  const { t } = useI18n();
  const search = useSearch();
  const account = new URLSearchParams(search).get('account') ?? undefined;
  const accounts = useAccounts();
  const dashboard = useDashboard(account);
  const cells = dashboard.data?.cells ?? [];
  const at = (u: number, i: number) => cells.find((c) => c.urgency === u && c.importance === i);
  const total = cells.reduce((n, c) => n + c.count, 0);

  return (
    <Page title={t('dashboard.title')}>
      <div className="toolbar">
        <label>
          {t('mail.account')}{' '}
          <select
            value={account ?? ''}
            data-testid="dashboard-account"
            onChange={(e) => navigate(e.target.value ? `/?account=${e.target.value}` : '/', { replace: true })}
          >
            <option value="">{t('mail.allAccounts')}</option>
            {(accounts.data ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <Link to={account ? `/messages?account=${account}` : '/messages'}>{t('dashboard.allMessages', { count: total })}</Link>
      </div>
      {dashboard.isPending ? <Loading /> : null}
      <ErrorNote error={dashboard.error} />
      {dashboard.data && total === 0 ? (
        <p className="empty">
          {(accounts.data?.length ?? 0) === 0 ? t('dashboard.noAccounts') : t('dashboard.nothingOpen')}{' '}
          {(accounts.data?.length ?? 0) === 0 ? <Link to="/accounts/new">{t('dashboard.addAccount')}</Link> : null}
        </p>
      ) : null}
      {dashboard.data ? (
        <div className="matrix-wrap">
          <p className="matrix-axis-y">{t('dashboard.urgency')}</p>
          <div className="matrix" aria-label={t('dashboard.matrix')} role="group" data-testid="matrix">
            {[3, 2, 1].map((u) => (
              <div className="matrix-row" key={u}>
                {[1, 2, 3].map((i) => {
                  const c = at(u, i);
                  if (!c) return <div key={i} className="matrix-cell" />;
                  const label = t('dashboard.cell', { urgency: u, importance: i });
                  return (
                    <section key={i} className={`matrix-cell cell-${c.colour}`} data-testid={`cell-${u}-${i}`} aria-label={label}>
                      <h2>
                        <Link to={cellLink(c, account)}>
                          <span className="cell-count" data-testid={`count-${u}-${i}`}>
                            {c.count}
                          </span>{' '}
                          <span className="cell-label">{label}</span>
                        </Link>
                      </h2>
                      {c.top.length > 0 ? (
                        <ul className="cell-top">
                          {c.top.map((m) => (
                            <li key={m.id}>
                              <MessageLine m={m} />
                            </li>
                          ))}
                        </ul>
                      ) : (
                        <p className="muted">{t('dashboard.emptyCell')}</p>
                      )}
                    </section>
                  );
                })}
              </div>
            ))}
          </div>
          <p className="matrix-axis-x">{t('dashboard.importance')}</p>
        </div>
      ) : null}
    </Page>
  );
}
