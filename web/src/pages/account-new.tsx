import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { get, post } from '../api';
import { ErrorNote, Field, Form, Page, Section } from '../components';
import { useI18n } from '../i18n';
import { ACCOUNTS_KEY, accountKey } from '../live-sync';
import { Link, navigate } from '../router';
import type { Account, ConnectionTest, ProviderPreset } from '../types';
import { ConnectionResult, PinnedCertificate, ServerFields, connectionFailure, type ServerValues } from './account-parts';

const PRESETS_KEY = ['accounts', 'presets'];

/** Add an account: pick a provider preset or type the server, test the connection, trust a certificate, save. */
export function AccountNewPage() {
  const { t } = useI18n();
  const client = useQueryClient();
  const presets = useQuery({ queryKey: PRESETS_KEY, queryFn: () => get<{ items: ProviderPreset[] }>('/api/accounts/presets'), staleTime: Infinity });
  const [presetId, setPresetId] = useState('');
  const [name, setName] = useState('');
  const [server, setServer] = useState<ServerValues>({ host: '', port: '993', security: 'tls', user: '', password: '' });
  const [fingerprint, setFingerprint] = useState('');
  const [interval, setSyncInterval] = useState('5');
  const [sinceDays, setSinceDays] = useState('90');
  const [result, setResult] = useState<ConnectionTest | null>(null);
  const presetSelect = useId();
  const preset = presets.data?.items.find((p) => p.id === presetId);

  const choosePreset = (id: string) => {
    const next = presets.data?.items.find((p) => p.id === id);
    setPresetId(id);
    setResult(null);
    setFingerprint('');
    if (next) {
      setServer((s) => ({ ...s, host: next.imap.host, port: String(next.imap.port), security: next.imap.security }));
      // Keep a name the user typed; replace one a preset filled in.
      if (!name || presets.data?.items.some((p) => p.name === name)) setName(next.name);
    }
  };

  const body = (pin: string) => ({
    name: name.trim() || server.user,
    ...(preset ? { provider: preset.id } : {}),
    imap: {
      host: server.host.trim(),
      port: Number(server.port),
      security: server.security,
      user: server.user,
      password: server.password,
      ...(pin ? { tls: { fingerprintSha256: pin } } : {}),
    },
    syncIntervalMinutes: Number(interval),
    initialWindow: { sinceDays: Number(sinceDays) },
  });

  const test = useMutation({
    mutationFn: (pin: string) => post<ConnectionTest>('/api/accounts/test', body(pin)),
    onMutate: () => setResult(null),
    onSuccess: setResult,
  });
  const save = useMutation({
    mutationFn: () => post<Account>('/api/accounts', body(fingerprint)),
    onMutate: () => setResult(null),
    onSuccess: async (account) => {
      client.setQueryData(accountKey(account.id), account);
      await client.invalidateQueries({ queryKey: ACCOUNTS_KEY, exact: true });
      navigate(`/accounts/${account.id}`);
    },
    onError: (err) => setResult(connectionFailure(err)),
  });
  const trust = (fp: string) => {
    setFingerprint(fp);
    test.mutate(fp);
  };
  const busy = test.isPending || save.isPending;
  const changeServer = (v: ServerValues) => {
    setServer(v);
    setResult(null);
  };

  return (
    <Page title={t('accounts.addTitle')}>
      <p>
        <Link to="/accounts">{t('accounts.back')}</Link>
      </p>
      <Section title={t('accounts.server')}>
        <Form onSubmit={() => save.mutate()} busy={busy}>
          <div className="field">
            <label htmlFor={presetSelect}>{t('accounts.provider')}</label>
            <select id={presetSelect} value={presetId} onChange={(e) => choosePreset(e.target.value)}>
              <option value="">{t('accounts.providerOther')}</option>
              {presets.data?.items.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          {preset ? (
            <p className="note" data-testid="preset-note">
              {preset.note}
              {preset.local ? ` ${t('accounts.presetLocal')}` : ''}
            </p>
          ) : null}
          <ErrorNote error={presets.error} />
          <Field label={t('accounts.name')} help={t('accounts.nameHelp')} maxLength={200} value={name} onValue={setName} />
          <ServerFields value={server} onChange={changeServer} passwordRequired passwordHelp={preset?.userIsEmail ? t('accounts.userIsEmail') : undefined} />
          <PinnedCertificate fingerprint={fingerprint} onForget={() => setFingerprint('')} />
          <div className="row">
            <Field label={t('accounts.interval')} type="number" min={1} max={1440} required value={interval} onValue={setSyncInterval} />
            <Field label={t('accounts.sinceDays')} help={t('accounts.sinceDaysHelp')} type="number" min={1} max={36500} required value={sinceDays} onValue={setSinceDays} />
          </div>
          {result ? <ConnectionResult result={result} pinned={fingerprint} onTrust={trust} busy={busy} /> : null}
          {connectionFailure(save.error) ? null : <ErrorNote error={save.error ?? test.error} />}
          <div className="actions">
            <button type="button" onClick={() => test.mutate(fingerprint)} disabled={busy || !server.host || !server.user || !server.password}>
              {t('accounts.test')}
            </button>
            <button type="submit" className="primary" disabled={busy}>
              {t('accounts.save')}
            </button>
            {busy ? <span className="muted">{t(test.isPending ? 'accounts.testing' : 'accounts.saving')}</span> : null}
          </div>
        </Form>
      </Section>
    </Page>
  );
}
