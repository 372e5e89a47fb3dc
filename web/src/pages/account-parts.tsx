import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { post } from '../api';
import { ErrorNote, Field } from '../components';
import { useI18n } from '../i18n';
import { trackSync, useLiveSync } from '../live-sync';
import type { MessageKey } from '../messages';
import type { Account, CertificateInfo, ConnectionTest, Security, SyncState } from '../types';

/** Pieces the accounts pages share: state, sync progress, connection results, server fields. */

const STAGES = ['dns', 'blocked', 'insecure', 'refused', 'timeout', 'tls', 'auth', 'not_imap', 'network', 'aborted'];

export function StateBadge({ state }: { state: SyncState }) {
  const { t } = useI18n();
  return <span className={`badge badge-${state}`}>{t(`accounts.state.${state}` as MessageKey)}</span>;
}

export function roleText(t: (k: MessageKey) => string, role: string | null): string {
  if (!role) return '—';
  const key = `folders.role.${role}` as MessageKey;
  return t(key) === key ? role : t(key);
}

/** "Sync now" and, while a sync runs, a progress bar with folders done/total and message counts. */
export function SyncPanel({ account }: { account: Account }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const live = useLiveSync(account.id);
  const start = useMutation({
    mutationFn: () => post<{ jobId: string; status: string }>(`/api/accounts/${account.id}/sync`),
    onSuccess: (res) => trackSync(client, account.id, res.jobId),
  });
  const tracked = !!live && !live.outcome;
  // A scheduled sync shows as "syncing" too; "sync now" then attaches to it (the server answers its job).
  const running = tracked || account.syncState === 'syncing';
  const p = live?.progress;
  const labelId = useId();
  return (
    <div className="sync-panel">
      <div className="actions">
        <button type="button" className="primary" onClick={() => start.mutate()} disabled={start.isPending || tracked || account.syncState === 'deleting'}>
          {t('accounts.syncNow')}
        </button>
      </div>
      <ErrorNote error={start.error} />
      {running ? (
        <div className="progress" data-testid="sync-progress">
          <span id={labelId}>{p?.foldersTotal ? t('sync.folders', { done: p.foldersDone ?? 0, total: p.foldersTotal }) : t('sync.starting')}</span>
          {p?.foldersTotal ? (
            <progress aria-labelledby={labelId} max={p.foldersTotal} value={p.foldersDone ?? 0} />
          ) : (
            <progress aria-labelledby={labelId} />
          )}
          {p ? <span className="muted">{t('sync.counts', { fetched: p.fetched ?? 0, stored: p.stored ?? 0 })}</span> : null}
        </div>
      ) : null}
      {!running && live?.outcome === 'completed' && live.progress ? (
        <p className="note note-ok" role="status" data-testid="sync-result">
          {t('sync.done', { fetched: live.progress.fetched ?? 0, stored: live.progress.stored ?? 0 })}
        </p>
      ) : null}
    </div>
  );
}

/** Last sync time and the last error, as the account reports them. */
export function SyncFacts({ account }: { account: Account }) {
  const { t, formatTime } = useI18n();
  return (
    <>
    <dl className="facts">
      <dt>{t('common.state')}</dt>
      <dd>
        <StateBadge state={account.syncState} />
      </dd>
      <dt>{t('accounts.lastSync')}</dt>
      <dd data-testid="last-sync">{account.lastSyncAt ? formatTime(account.lastSyncAt) : t('common.never')}</dd>
      {account.lastError ? (
        <>
          <dt>{t('accounts.lastError')}</dt>
          <dd className="error-text">
            {errorCodeText(t, account.lastError.code, account.lastError.message)}
            {account.lastError.at ? <span className="muted"> ({formatTime(account.lastError.at)})</span> : null}
          </dd>
        </>
      ) : null}
    </dl>
    {account.syncState === 'auth_error' || account.syncState === 'error' ? (
      <p className="note" data-testid="sync-hint">
        {t(account.syncState === 'auth_error' ? 'run.hint.auth_error' : 'run.hint.error')}
      </p>
    ) : null}
    </>
  );
}

export function errorCodeText(t: (k: MessageKey) => string, code: string, message: string | null): string {
  const key = `error.${code}` as MessageKey;
  if (t(key) !== key) return t(key);
  return message ?? code;
}

/** A failed connection from a test or a refused save: the stage in words, and the certificate to trust. */
export function ConnectionResult({ result, pinned, onTrust, busy = false }: { result: ConnectionTest; pinned: string; onTrust?: (fingerprint: string) => void; busy?: boolean }) {
  const { t } = useI18n();
  if (result.ok) {
    return (
      <p className="note note-ok" role="status" data-testid="test-result">
        {t('test.ok')}
      </p>
    );
  }
  const stage = result.stage && STAGES.includes(result.stage) ? result.stage : 'network';
  const cert = result.certificate;
  return (
    <div className="note note-error" role="alert" data-testid="test-result">
      <p className="stage">{t('test.failed', { stage: t(`stage.${stage}` as MessageKey) })}</p>
      <p>{t(`stage.${stage}.hint` as MessageKey)}</p>
      {result.message ? <p className="muted">{result.message}</p> : null}
      {cert ? <CertificateFacts cert={cert} pinned={pinned} onTrust={onTrust} busy={busy} /> : null}
    </div>
  );
}

function CertificateFacts({ cert, pinned, onTrust, busy }: { cert: CertificateInfo; pinned: string; onTrust?: (fingerprint: string) => void; busy: boolean }) {
  const { t, formatTime } = useI18n();
  const when = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : formatTime(Date.parse(iso)));
  const same = pinned.replace(/:/g, '').toUpperCase() === cert.fingerprintSha256.replace(/:/g, '').toUpperCase();
  return (
    <div className="certificate" data-testid="certificate">
      <h3>{t('cert.title')}</h3>
      <dl className="facts">
        <dt>{t('cert.subject')}</dt>
        <dd className="break">{cert.subject}</dd>
        <dt>{t('cert.issuer')}</dt>
        <dd className="break">{cert.issuer}</dd>
        <dt>{t('cert.fingerprint')}</dt>
        <dd>
          <code className="break" data-testid="cert-fingerprint">
            {cert.fingerprintSha256}
          </code>
        </dd>
        <dt>{t('cert.valid')}</dt>
        <dd>{t('cert.validRange', { from: when(cert.validFrom), to: when(cert.validTo) })}</dd>
        <dt>{t('cert.selfSigned')}</dt>
        <dd>{cert.selfSigned ? t('common.yes') : t('common.no')}</dd>
        {cert.reason ? (
          <>
            <dt>{t('cert.reason')}</dt>
            <dd className="break">{cert.reason}</dd>
          </>
        ) : null}
      </dl>
      <p className="help">{t('cert.check')}</p>
      {same || !onTrust ? null : (
        <button type="button" onClick={() => onTrust(cert.fingerprintSha256)} disabled={busy}>
          {t('cert.trust')}
        </button>
      )}
    </div>
  );
}

export interface ServerValues {
  host: string;
  port: string;
  security: Security;
  user: string;
  password: string;
}

/** IMAP host, port, security, user name and password, as both the add and the edit form use them. */
export function ServerFields({ value, onChange, passwordHelp, passwordRequired }: { value: ServerValues; onChange: (v: ServerValues) => void; passwordHelp?: string; passwordRequired: boolean }) {
  const { t } = useI18n();
  const securityId = useId();
  const set = <K extends keyof ServerValues>(k: K) => (v: ServerValues[K]) => onChange({ ...value, [k]: v });
  return (
    <>
      <div className="row">
        <Field label={t('server.user')} autoComplete="off" required value={value.user} onValue={set('user')} />
        <Field
          label={t('common.password')}
          type="password"
          autoComplete="new-password"
          required={passwordRequired}
          help={passwordHelp}
          value={value.password}
          onValue={set('password')}
        />
      </div>
      <div className="row">
        <Field label={t('server.host')} required autoComplete="off" spellCheck={false} value={value.host} onValue={set('host')} />
        <Field label={t('server.port')} type="number" min={1} max={65535} required value={value.port} onValue={set('port')} />
        <div className="field">
          <label htmlFor={securityId}>{t('server.security')}</label>
          <select id={securityId} value={value.security} onChange={(e) => set('security')(e.target.value as Security)}>
            <option value="tls">{t('server.security.tls')}</option>
            <option value="starttls">{t('server.security.starttls')}</option>
            <option value="none">{t('server.security.none')}</option>
          </select>
        </div>
      </div>
    </>
  );
}

/** The certificate pin of the form: shown, and removable. */
export function PinnedCertificate({ fingerprint, onForget }: { fingerprint: string; onForget: () => void }) {
  const { t } = useI18n();
  if (!fingerprint) return null;
  return (
    <div className="note pinned" data-testid="pinned-certificate">
      <p>{t('cert.pinned')}</p>
      <code className="break">{fingerprint}</code>
      <div>
        <button type="button" className="link" onClick={onForget}>
          {t('cert.forget')}
        </button>
      </div>
    </div>
  );
}

/** The result a refused save carries (422 ACCOUNT_CONNECTION_FAILED), as a connection test would show it. */
export function connectionFailure(err: unknown): ConnectionTest | null {
  if (err && typeof err === 'object' && 'code' in err && err.code === 'ACCOUNT_CONNECTION_FAILED' && 'details' in err) {
    const details = err.details as { stage?: string; certificate?: CertificateInfo };
    return { ok: false, stage: details.stage, message: (err as { message?: string }).message, certificate: details.certificate };
  }
  return null;
}
