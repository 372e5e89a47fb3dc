import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { del, patch, post } from '../api';
import { ErrorNote, Field, Form, Notice, Page, Section } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { SESSION_KEY, useMe } from '../session';
import type { Language } from '../types';
import { AiSection } from './settings-ai';
import { SenderSections } from './settings-senders';
import { TokensSection } from './tokens';

export function LanguageSelect({ id }: { id?: string }) {
  const { t, language, setLanguage } = useI18n();
  const client = useQueryClient();
  const change = (next: Language) => {
    setLanguage(next);
    // Signed in: remember it on the account too, so every device and e-mail uses it.
    const session = client.getQueryData<{ kind: string }>(SESSION_KEY);
    if (session?.kind === 'user') void patch('/api/me', { language: next }).then(() => client.invalidateQueries({ queryKey: SESSION_KEY }));
  };
  return (
    <select id={id} aria-label={id ? undefined : t('app.language')} value={language} onChange={(e) => change(e.target.value as Language)}>
      <option value="en">English</option>
      <option value="de">Deutsch</option>
    </select>
  );
}

function ProfileSection() {
  const { t } = useI18n();
  const me = useMe();
  return (
    <Section title={t('settings.profile')}>
      <dl className="facts">
        <dt>{t('common.username')}</dt>
        <dd>{me.username}</dd>
        <dt>{t('common.role')}</dt>
        <dd>{t(me.role === 'admin' ? 'role.admin' : 'role.user')}</dd>
      </dl>
      <div className="field">
        <label htmlFor="profile-language">{t('app.language')}</label>
        <LanguageSelect id="profile-language" />
      </div>
    </Section>
  );
}

function PasswordSection() {
  const { t } = useI18n();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setDone(false);
    if (newPassword !== repeat) return setError(new Error(t('setup.mismatch')));
    setBusy(true);
    setError(null);
    try {
      await post('/api/me/password', { currentPassword, newPassword });
      setCurrent('');
      setNew('');
      setRepeat('');
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={t('settings.password')}>
      <Form onSubmit={submit} busy={busy}>
        <Field label={t('settings.currentPassword')} type="password" autoComplete="current-password" required value={currentPassword} onValue={setCurrent} />
        <Field label={t('settings.newPassword')} type="password" autoComplete="new-password" required value={newPassword} onValue={setNew} />
        <Field label={t('settings.repeatPassword')} type="password" autoComplete="new-password" required value={repeat} onValue={setRepeat} />
        <ErrorNote error={error} />
        {done ? <Notice>{t('settings.passwordChanged')}</Notice> : null}
        <button type="submit" disabled={busy}>
          {t('settings.changePassword')}
        </button>
      </Form>
    </Section>
  );
}

function TwoFactorSection() {
  const { t } = useI18n();
  const me = useMe();
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const disable = async () => {
    setError(null);
    try {
      await del('/api/me/2fa');
      await client.invalidateQueries({ queryKey: SESSION_KEY });
    } catch (err) {
      setError(err);
    }
  };
  const { enabled, recoveryCodesLeft, required } = me.twoFactor;
  return (
    <Section title={t('settings.twofa')}>
      <p data-testid="twofa-status">{enabled ? t('settings.twofaOn', { count: recoveryCodesLeft }) : t('settings.twofaOff')}</p>
      <ErrorNote error={error} />
      {!enabled ? (
        <Link to="/settings/2fa" className="button">
          {t('settings.twofaSetup')}
        </Link>
      ) : !required ? (
        <button type="button" onClick={() => void disable()}>
          {t('settings.twofaDisable')}
        </button>
      ) : null}
    </Section>
  );
}

export function SettingsPage() {
  const { t } = useI18n();
  return (
    <Page title={t('settings.title')}>
      <div className="grid">
        <ProfileSection />
        <TwoFactorSection />
        <PasswordSection />
      </div>
      <div className="grid">
        <SenderSections />
      </div>
      <AiSection />
      <TokensSection />
    </Page>
  );
}
