import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { post } from '../api';
import { ErrorNote, Field, Form, Loading, Page } from '../components';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import { SESSION_KEY } from '../session';
import type { Role } from '../types';

/** Read once: the token lives in the fragment (never sent to servers or logs); drop it from the address bar. */
let captured = '';
function takeToken(): string {
  const token = decodeURIComponent(window.location.hash.slice(1));
  if (token) {
    captured = token;
    window.history.replaceState(null, '', window.location.pathname);
  }
  return captured;
}

export function InvitePage() {
  const { t, language } = useI18n();
  const client = useQueryClient();
  const [token] = useState(takeToken);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const invitation = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => post<{ role: Role; expiresAt: number }>('/api/invitations/inspect', { token }),
    enabled: token.length > 0,
    retry: false,
    staleTime: Infinity,
  });

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await post('/api/invitations/accept', { token, username, password, language });
      await client.invalidateQueries({ queryKey: SESSION_KEY });
      navigate('/', { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Page title={t('invite.title')} narrow>
      {!token ? <p className="note note-error">{t('invite.missing')}</p> : null}
      {invitation.isPending && token ? <Loading /> : null}
      <ErrorNote error={invitation.error} />
      {invitation.data ? (
        <>
          <p>{t('invite.intro', { role: t(invitation.data.role === 'admin' ? 'role.admin' : 'role.user') })}</p>
          <Form onSubmit={submit} busy={busy}>
            <Field label={t('common.username')} name="username" autoComplete="username" required value={username} onValue={setUsername} />
            <Field label={t('common.password')} name="password" type="password" autoComplete="new-password" required value={password} onValue={setPassword} />
            <ErrorNote error={error} />
            <button type="submit" className="primary" disabled={busy}>
              {t('invite.submit')}
            </button>
          </Form>
        </>
      ) : null}
    </Page>
  );
}
