import { useEffect, useRef, useState } from 'react';
import { installApiHooks, post } from './api';
import { ErrorNote, Field, Form } from './components';
import { useI18n } from './i18n';
import { useSession } from './session';

/**
 * The step-up dialog: when the server answers STEP_UP_REQUIRED, the API client waits here for the
 * password (and code, with 2FA on), then retries the request once.
 */
export function StepUpDialog() {
  const { t } = useI18n();
  const { data } = useSession();
  const needsCode = data?.kind === 'user' && data.me.twoFactor.enabled;
  const dialog = useRef<HTMLDialogElement>(null);
  const pending = useRef<((ok: boolean) => void) | null>(null);
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    installApiHooks({
      stepUp: () =>
        new Promise<boolean>((resolve) => {
          pending.current?.(false);
          pending.current = resolve;
          setPassword('');
          setCode('');
          setError(null);
          setOpen(true);
        }),
    });
  }, []);

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);

  const finish = (ok: boolean) => {
    pending.current?.(ok);
    pending.current = null;
    setOpen(false);
  };

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      // One field for both: six digits are an app code, anything else a recovery code.
      const factor = code.trim();
      const second = /^\d{6}$/.test(factor.replace(/\s/g, '')) ? { code: factor.replace(/\s/g, '') } : { recoveryCode: factor };
      await post('/api/auth/step-up', needsCode ? { password, ...second } : { password });
      finish(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} aria-labelledby="step-up-title" onCancel={() => finish(false)}>
      {open ? (
        <>
          <h2 id="step-up-title">{t('stepup.title')}</h2>
          <p>{t('stepup.text')}</p>
          <Form onSubmit={submit} busy={busy}>
            <Field label={t('common.password')} type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
            {needsCode ? <Field label={t('stepup.code')} autoComplete="one-time-code" required value={code} onValue={setCode} /> : null}
            <ErrorNote error={error} />
            <div className="actions">
              <button type="submit" className="primary" disabled={busy}>
                {t('stepup.submit')}
              </button>
              <button type="button" onClick={() => finish(false)}>
                {t('common.cancel')}
              </button>
            </div>
          </Form>
        </>
      ) : null}
    </dialog>
  );
}
