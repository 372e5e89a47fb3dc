import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { get } from '../api';
import { ErrorNote, Loading, Page, Section, Table } from '../components';
import { useI18n } from '../i18n';
import type { AuditEntry, JobInfo, WorkerInfo } from '../types';

const PAGE = 100;

export function AuditPage() {
  const { t, formatTime } = useI18n();
  const audit = useInfiniteQuery({
    queryKey: ['admin', 'audit'],
    initialPageParam: '',
    queryFn: ({ pageParam }) => get<{ items: AuditEntry[] }>(`/api/admin/audit?limit=${PAGE}${pageParam ? `&before=${pageParam}` : ''}`),
    getNextPageParam: (last) => (last.items.length === PAGE ? last.items.at(-1)?.id : undefined),
  });
  const entries = audit.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page title={t('audit.title')}>
      <ErrorNote error={audit.error} />
      {audit.isPending ? <Loading /> : null}
      {audit.data && entries.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
      {entries.length > 0 ? (
        <Table label={t('audit.title')} head={[t('audit.at'), t('audit.event'), t('audit.user'), t('audit.actor'), t('audit.ip')]}>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.at)}</td>
              <td>
                <code>{e.event}</code>
              </td>
              <td className="break">{e.userId ?? '—'}</td>
              <td className="break">{e.actorId ?? '—'}</td>
              <td>{e.ip ?? '—'}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      {audit.hasNextPage ? (
        <button type="button" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
          {t('common.loadMore')}
        </button>
      ) : null}
    </Page>
  );
}

const STATES = ['queued', 'active', 'completed', 'failed', 'cancelled'] as const;

export function JobsPage() {
  const { t, formatTime } = useI18n();
  const [state, setState] = useState('');
  const jobs = useQuery({
    queryKey: ['admin', 'jobs', state],
    queryFn: () => get<{ items: JobInfo[] }>(`/api/admin/jobs?limit=100${state ? `&state=${state}` : ''}`),
    refetchInterval: 5000,
  });
  const workers = useQuery({ queryKey: ['admin', 'workers'], queryFn: () => get<{ items: WorkerInfo[] }>('/api/admin/workers'), refetchInterval: 5000 });
  return (
    <Page title={t('jobs.title')}>
      <div className="field field-inline">
        <label htmlFor="job-state">{t('common.state')}</label>
        <select id="job-state" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">{t('jobs.all')}</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={jobs.error} />
      {jobs.isPending ? <Loading /> : null}
      {jobs.data && jobs.data.items.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
      {jobs.data && jobs.data.items.length > 0 ? (
        <Table label={t('jobs.title')} head={[t('jobs.type'), t('common.state'), t('jobs.attempts'), t('common.created')]}>
          {jobs.data.items.map((j) => (
            <tr key={j.id}>
              <td>
                <code>{j.type}</code>
              </td>
              <td>{j.state}</td>
              <td>
                {j.attempts}/{j.maxAttempts}
              </td>
              <td>{formatTime(j.createdAt)}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      <Section title={t('jobs.workers')}>
        <ErrorNote error={workers.error} />
        {workers.data && workers.data.items.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
        {workers.data && workers.data.items.length > 0 ? (
          <Table label={t('jobs.workers')} head={[t('jobs.host'), 'PID', t('jobs.running'), t('jobs.heartbeat')]}>
            {workers.data.items.map((w) => (
              <tr key={w.id}>
                <td>{w.hostname}</td>
                <td>{w.pid}</td>
                <td>
                  {w.running}/{w.concurrency}
                </td>
                <td>{formatTime(w.heartbeatAt)}</td>
              </tr>
            ))}
          </Table>
        ) : null}
      </Section>
    </Page>
  );
}
