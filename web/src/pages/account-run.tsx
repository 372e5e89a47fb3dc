import { Section, Table } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';
import type { Account } from '../types';
import { errorCodeText } from './account-parts';

/** The record of the account's last sync run: outcome, time, and per folder what the sync did. */
export function LastRunSection({ account }: { account: Account }) {
  const { t, formatTime } = useI18n();
  const run = account.lastRun;
  const seconds = (ms: number) => t('run.seconds', { s: (ms / 1000).toFixed(1) });
  return (
    <Section title={t('run.title')}>
      {!run ? (
        <p className="muted">{t('run.none')}</p>
      ) : (
        <div data-testid="last-run">
          <dl className="facts">
            <dt>{t('run.started')}</dt>
            <dd>{formatTime(run.startedAt)}</dd>
            <dt>{t('run.duration')}</dt>
            <dd>{seconds(run.finishedAt - run.startedAt)}</dd>
            <dt>{t('run.outcome')}</dt>
            <dd className={run.outcome === 'ok' ? undefined : 'error-text'} data-testid="run-outcome">
              {t(`run.outcome.${run.outcome}` as MessageKey)}
              {run.errorCode ? ` — ${errorCodeText(t, run.errorCode, null)}` : ''}
            </dd>
          </dl>
          {run.folders.length ? (
            <Table
              label={t('run.title')}
              head={[t('run.folder'), t('run.strategy'), t('run.new'), t('run.changed'), t('run.deleted'), t('run.duration'), t('run.error')]}
            >
              {run.folders.map((f) => (
                <tr key={f.folderId}>
                  <td className="break">{f.path ?? '—'}</td>
                  <td className="break">{f.strategy.split('+').join(' + ')}</td>
                  <td className="num">{f.new}</td>
                  <td className="num">{f.changed}</td>
                  <td className="num">{f.deleted}</td>
                  <td className="num">{seconds(f.durationMs)}</td>
                  <td className={f.error ? 'error-text' : undefined}>{f.error ? errorCodeText(t, f.error, null) : '—'}</td>
                </tr>
              ))}
            </Table>
          ) : null}
        </div>
      )}
    </Section>
  );
}
