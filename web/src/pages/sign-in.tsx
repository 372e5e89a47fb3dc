import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { patch, post } from '../api';
import { ErrorNote, Field, Form, Page } from '../components';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import { SESSION_KEY, useLogout } from '../session';
import type { SignedIn } from '../types';

/** After any sign-in step: re-read the session; the shell then shows the page that fits. */
function useAfterSignIn() {
  const client = useQueryClient();
  const { setLanguage } = useI18n();
  return async (result?: SignedIn) => {
    // The account's saved language wins at sign-in: it is the user's choice on every device.
    if (result?.user.language === 'de' || result?.user.language === 'en') setLanguage(result.user.language);
    await client.invalidateQueries({ queryKey: SESSION_KEY });
    navigate('/', { replace: true });
  };
}

export function SetupPage({ tokenRequired }: { tokenRequired: boolean }) {
  const { t, language } = useI18n();
  const client = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [setupToken, setSetupToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    if (password !== repeat) return setError(new Error(t('setup.mismatch')));
    setBusy(true);
    setError(null);
    try {
      await post<SignedIn>('/api/setup', { username, password, ...(tokenRequired ? { setupToken } : {}) });
      // Setup takes no language; keep the one this browser already shows.
      await patch('/api/me', { language });
      await client.invalidateQueries({ queryKey: SESSION_KEY });
      navigate('/', { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={t('setup.title')} narrow>
      <p>{t('setup.intro')}</p>
      <Form onSubmit={submit} busy={busy}>
        {tokenRequired ? (
          <Field label={t('setup.token')} help={t('setup.tokenHelp')} autoComplete="off" required value={setupToken} onValue={setSetupToken} />
        ) : null}
        <Field label={t('common.username')} name="username" autoComplete="username" required value={username} onValue={setUsername} />
        <Field label={t('common.password')} name="password" type="password" autoComplete="new-password" required value={password} onValue={setPassword} />
        <Field label={t('setup.repeat')} name="repeat" type="password" autoComplete="new-password" required value={repeat} onValue={setRepeat} />
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('setup.submit')}
        </button>
      </Form>
    </Page>
  );
}

export function LoginPage() {
  const { t } = useI18n();
  const done = useAfterSignIn();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await post<SignedIn | { twoFactorRequired: true }>('/api/auth/login', { username, password });
      await done('user' in res ? res : undefined);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Page title={t('login.title')} narrow>
      <Form onSubmit={submit} busy={busy}>
        <Field label={t('common.username')} name="username" autoComplete="username" required value={username} onValue={setUsername} />
        <Field label={t('common.password')} name="password" type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('login.submit')}
        </button>
      </Form>
    </Page>
  );
}

export function TwoFactorPage() {
  const { t } = useI18n();
  const done = useAfterSignIn();
  const logout = useLogout();
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const body = useRecovery ? { recoveryCode: code.trim() } : { code: code.replace(/\s/g, '') };
      await done(await post<SignedIn>('/api/auth/2fa', body));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Page title={t('twofa.title')} narrow>
      <p>{t('twofa.intro')}</p>
      <Form onSubmit={submit} busy={busy}>
        <Field
          label={useRecovery ? t('twofa.recoveryCode') : t('twofa.code')}
          name="code"
          inputMode={useRecovery ? 'text' : 'numeric'}
          autoComplete="one-time-code"
          required
          value={code}
          onValue={setCode}
        />
        <ErrorNote error={error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {t('twofa.submit')}
          </button>
          <button type="button" className="link" onClick={() => (setUseRecovery(!useRecovery), setCode(''))}>
            {useRecovery ? t('twofa.useCode') : t('twofa.useRecovery')}
          </button>
          <button type="button" className="link" onClick={() => void logout()}>
            {t('twofa.cancel')}
          </button>
        </div>
      </Form>
    </Page>
  );
}
