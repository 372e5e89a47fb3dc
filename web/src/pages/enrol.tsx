import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { post } from '../api';
import { ErrorNote, Field, Form, OnceSecret, Page } from '../components';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import { SESSION_KEY, useLogout } from '../session';

interface Enrollment {
  otpauthUri: string;
  secret: string;
  qrSvg: string;
}

/** The server's QR SVG as an image source: an <img> never runs markup, unlike innerHTML. */
function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

export function EnrolPage({ required }: { required: boolean }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const logout = useLogout();
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const start = () => run(async () => setEnrollment(await post<Enrollment>('/api/me/2fa/enroll')));
  const confirm = () =>
    run(async () => {
      const res = await post<{ recoveryCodes: string[] }>('/api/me/2fa/confirm', { code: code.replace(/\s/g, '') });
      setCodes(res.recoveryCodes);
    });
  const finish = async () => {
    await client.invalidateQueries({ queryKey: SESSION_KEY });
    navigate('/settings', { replace: true });
  };

  if (codes) {
    return (
      <Page title={t('enrol.codesTitle')} narrow>
        <OnceSecret label={t('enrol.codesText')}>
          <ol className="codes" aria-label={t('enrol.codesTitle')}>
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ol>
        </OnceSecret>
        <button type="button" className="primary" onClick={() => void finish()}>
          {t('enrol.codesDone')}
        </button>
      </Page>
    );
  }

  return (
    <Page title={t('enrol.title')} narrow>
      {required ? <p className="note">{t('enrol.required')}</p> : null}
      <p>{t('enrol.intro')}</p>
      {enrollment ? (
        <>
          <img className="qr" src={svgDataUrl(enrollment.qrSvg)} alt={t('enrol.qrAlt')} width={220} height={220} />
          <p>{t('enrol.secret')}</p>
          <p>
            <code className="break" data-testid="totp-secret">
              {enrollment.secret}
            </code>
          </p>
          <Form onSubmit={confirm} busy={busy}>
            <Field label={t('twofa.code')} name="code" inputMode="numeric" autoComplete="one-time-code" required value={code} onValue={setCode} />
            <ErrorNote error={error} />
            <button type="submit" className="primary" disabled={busy}>
              {t('enrol.confirm')}
            </button>
          </Form>
        </>
      ) : (
        <>
          <ErrorNote error={error} />
          <div className="actions">
            <button type="button" className="primary" onClick={() => void start()} disabled={busy}>
              {t('enrol.start')}
            </button>
            {required ? (
              <button type="button" onClick={() => void logout()}>
                {t('nav.logout')}
              </button>
            ) : null}
          </div>
        </>
      )}
    </Page>
  );
}
