import { useId, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import { errorText, useI18n } from './i18n';

export function Page({ title, children, narrow }: { title: string; children: ReactNode; narrow?: boolean }) {
  return (
    <main className={narrow ? 'page page-narrow' : 'page'}>
      <h1>{title}</h1>
      {children}
    </main>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card">
      <h2>{title}</h2>
      {children}
    </section>
  );
}

type FieldProps = InputHTMLAttributes<HTMLInputElement> & { label: string; help?: string; value: string; onValue: (v: string) => void };

export function Field({ label, help, onValue, ...input }: FieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} onChange={(e) => onValue(e.target.value)} aria-describedby={help ? `${id}-help` : undefined} />
      {help ? (
        <p className="help" id={`${id}-help`}>
          {help}
        </p>
      ) : null}
    </div>
  );
}

export function Form({ onSubmit, children, busy }: { onSubmit: () => void; children: ReactNode; busy?: boolean }) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy) onSubmit();
  };
  return (
    <form onSubmit={submit} aria-busy={busy || undefined}>
      {children}
    </form>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <p className="note note-error" role="alert">
      {errorText(t, error)}
    </p>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="note note-ok" role="status">
      {children}
    </p>
  );
}

/** A secret the server shows once (token, link, recovery codes): selectable, wrapped on small screens. */
export function OnceSecret({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  const { t } = useI18n();
  return (
    <div className="secret" role="status">
      <p>{label}</p>
      <div className="secret-value" data-testid={testId}>
        {children}
      </div>
      <p className="help">{t('common.copyNote')}</p>
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return <p className="muted">{t('app.loading')}</p>;
}

export function Table({ head, children, label }: { head: string[]; children: ReactNode; label: string }) {
  return (
    // A table wider than a phone scrolls inside this box; keyboard users need to reach it to scroll it.
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table aria-label={label}>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
