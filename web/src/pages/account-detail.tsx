import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, del, get, patch, post } from '../api';
import { ErrorNote, Field, Form, Loading, Notice, Page, Section, Table } from '../components';
import { useI18n } from '../i18n';
import { ACCOUNTS_KEY, accountKey, foldersKey } from '../live-sync';
import { Link, navigate } from '../router';
import type { Account, ConnectionTest, Folder } from '../types';
import { LastRunSection } from './account-run';
import { ConnectionResult, PinnedCertificate, ServerFields, SyncFacts, SyncPanel, connectionFailure, roleText, type ServerValues } from './account-parts';

/** One account: sync state and "sync now", folders to sync, settings, delete. */
export function AccountDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const account = useQuery({ queryKey: accountKey(id), queryFn: () => get<Account>(`/api/accounts/${id}`), retry: false });
  const missing = account.error instanceof ApiError && account.error.status === 404;
  const a = account.data;
  return (
    <Page title={a ? a.name : t('accounts.title')}>
      <p>
        <Link to="/accounts">{t('accounts.back')}</Link>
      </p>
      {account.isPending ? <Loading /> : null}
      {missing ? <p className="note">{t('accounts.notFound')}</p> : <ErrorNote error={account.error} />}
      {a ? (
        <>
          <Section title={t('accounts.sync')}>
            <SyncFacts account={a} />
            <SyncPanel account={a} />
          </Section>
          <LastRunSection account={a} />
          <FoldersSection account={a} />
          <SettingsSection key={a.updatedAt} account={a} />
          <DeleteSection account={a} />
        </>
      ) : null}
    </Page>
  );
}

function FoldersSection({ account }: { account: Account }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const folders = useQuery({ queryKey: foldersKey(account.id), queryFn: () => get<Folder[]>(`/api/accounts/${account.id}/folders`) });
  // Only the boxes the user changed; everything else shows what the server has.
  const [changed, setChanged] = useState<Record<string, boolean>>({});
  const [saved, setSaved] = useState(false);
  const update = (list: Folder[]) => {
    client.setQueryData(foldersKey(account.id), list);
    setChanged({});
  };
  const save = useMutation({
    mutationFn: () => patch<Folder[]>(`/api/accounts/${account.id}/folders`, { folders: Object.entries(changed).map(([id, synced]) => ({ id, synced })) }),
    onMutate: () => setSaved(false),
    onSuccess: (list) => {
      update(list);
      setSaved(true);
    },
  });
  const refresh = useMutation({ mutationFn: () => post<Folder[]>(`/api/accounts/${account.id}/folders/refresh`), onSuccess: update });
  const list = folders.data ?? [];
  const synced = (f: Folder) => changed[f.id] ?? f.synced;
  const toggle = (f: Folder) => {
    setSaved(false);
    setChanged((c) => {
      const next = { ...c };
      if (f.id in c) delete next[f.id];
      else next[f.id] = !f.synced;
      return next;
    });
  };
  const failure = connectionFailure(refresh.error);
  return (
    <Section title={t('folders.title')}>
      <p className="muted">{t('folders.intro')}</p>
      {folders.isPending ? <Loading /> : null}
      <ErrorNote error={folders.error ?? save.error} />
      {failure ? <ConnectionResult result={failure} pinned={account.imap.tls.fingerprintSha256 ?? ''} /> : <ErrorNote error={refresh.error} />}
      {folders.data && list.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
      {list.length > 0 ? (
        <Table label={t('folders.title')} head={[t('folders.sync'), t('folders.name'), t('folders.role'), t('folders.messages'), t('folders.unseen')]}>
          {list.map((f) => (
            <tr key={f.id}>
              <td>
                <input type="checkbox" aria-label={t('folders.syncFolder', { name: f.name })} checked={synced(f)} onChange={() => toggle(f)} />
              </td>
              <td className="break">{f.name}</td>
              <td>{roleText(t, f.role)}</td>
              <td className="num">{f.messages}</td>
              <td className="num">{f.unseen}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      {saved ? <Notice>{t('common.saved')}</Notice> : null}
      <div className="actions">
        <button type="button" className="primary" onClick={() => save.mutate()} disabled={save.isPending || Object.keys(changed).length === 0}>
          {t('folders.save')}
        </button>
        <button type="button" onClick={() => refresh.mutate()} disabled={refresh.isPending || account.syncState === 'deleting'}>
          {t('folders.refresh')}
        </button>
      </div>
    </Section>
  );
}

function SettingsSection({ account }: { account: Account }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [name, setName] = useState(account.name);
  const [interval, setSyncInterval] = useState(String(account.syncIntervalMinutes));
  const [server, setServer] = useState<ServerValues>({
    host: account.imap.host,
    port: String(account.imap.port),
    security: account.imap.security,
    user: account.imap.user,
    password: '',
  });
  const [fingerprint, setFingerprint] = useState(account.imap.tls.fingerprintSha256 ?? '');
  const [result, setResult] = useState<ConnectionTest | null>(null);

  const imapChanges = (pin: string) => {
    const imap: Record<string, unknown> = {};
    if (server.host.trim() !== account.imap.host) imap.host = server.host.trim();
    if (Number(server.port) !== account.imap.port) imap.port = Number(server.port);
    if (server.security !== account.imap.security) imap.security = server.security;
    if (server.user !== account.imap.user) imap.user = server.user;
    if (server.password) imap.password = server.password;
    if (pin !== (account.imap.tls.fingerprintSha256 ?? '')) {
      imap.tls = { ...(account.imap.tls.caPem ? { caPem: account.imap.tls.caPem } : {}), ...(pin ? { fingerprintSha256: pin } : {}) };
    }
    return imap;
  };
  const save = useMutation({
    mutationFn: (pin: string) => {
      const imap = imapChanges(pin);
      return patch<Account>(`/api/accounts/${account.id}`, {
        ...(name.trim() !== account.name ? { name: name.trim() } : {}),
        ...(Number(interval) !== account.syncIntervalMinutes ? { syncIntervalMinutes: Number(interval) } : {}),
        ...(Object.keys(imap).length > 0 ? { imap } : {}),
      });
    },
    onMutate: () => setResult(null),
    onSuccess: async (updated) => {
      // The section re-mounts with the saved values (keyed by updatedAt).
      client.setQueryData(accountKey(account.id), updated);
      await client.invalidateQueries({ queryKey: ACCOUNTS_KEY, exact: true });
    },
    onError: (err) => setResult(connectionFailure(err)),
  });
  const trust = (fp: string) => {
    setFingerprint(fp);
    save.mutate(fp);
  };
  const serverChanged = server.host.trim() !== account.imap.host || server.user !== account.imap.user;

  return (
    <Section title={t('accounts.settings')}>
      <Form onSubmit={() => save.mutate(fingerprint)} busy={save.isPending}>
        <div className="row">
          <Field label={t('accounts.name')} required maxLength={200} value={name} onValue={setName} />
          <Field label={t('accounts.interval')} type="number" min={1} max={1440} required value={interval} onValue={setSyncInterval} />
        </div>
        <ServerFields
          value={server}
          onChange={(v) => {
            setServer(v);
            setResult(null);
          }}
          passwordRequired={serverChanged}
          passwordHelp={t('accounts.passwordKept')}
        />
        <PinnedCertificate fingerprint={fingerprint} onForget={() => setFingerprint('')} />
        {result ? <ConnectionResult result={result} pinned={fingerprint} onTrust={trust} busy={save.isPending} /> : null}
        {connectionFailure(save.error) ? null : <ErrorNote error={save.error} />}
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending || account.syncState === 'deleting'}>
            {t('common.save')}
          </button>
          {save.isPending ? <span className="muted">{t('accounts.saving')}</span> : null}
        </div>
      </Form>
    </Section>
  );
}

function DeleteSection({ account }: { account: Account }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: () => del(`/api/accounts/${account.id}`),
    onSuccess: async () => {
      client.removeQueries({ queryKey: accountKey(account.id) });
      await client.invalidateQueries({ queryKey: ACCOUNTS_KEY, exact: true });
      navigate('/accounts');
    },
    // ACCOUNT_BUSY leaves the account "deleting": show that state.
    onError: () => client.invalidateQueries({ queryKey: accountKey(account.id) }),
  });
  return (
    <Section title={t('accounts.delete')}>
      <p>{t('accounts.deleteLocal')}</p>
      <ErrorNote error={remove.error} />
      <button
        type="button"
        className="danger"
        disabled={remove.isPending}
        onClick={() => window.confirm(t('accounts.confirmDelete', { name: account.name })) && remove.mutate()}
      >
        {t('accounts.delete')}
      </button>
    </Section>
  );
}
