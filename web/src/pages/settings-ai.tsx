import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { ApiError, get, post, put } from '../api';
import { ErrorNote, Loading, Notice, Section } from '../components';
import { useI18n } from '../i18n';
import { refreshMail } from '../mail/mail-api';

export type Locality = 'local' | 'cloud';

interface ProviderChoice {
  id: string;
  name: string;
  type: string;
  models: string[];
  locality: Locality;
}

interface AiSettings {
  providerId: string | null;
  model: string | null;
  providers: ProviderChoice[];
}

interface Estimate {
  messages: number;
  estimatedTokens: number;
  provider: { id: string; name: string; model: string; locality: string } | null;
}

const AI_KEY = ['settings', 'ai'];

/** "local" / "cloud" as a badge, with what it means for the user's mail. */
export function LocalityBadge({ locality }: { locality: Locality }) {
  const { t } = useI18n();
  return <span className={`badge badge-${locality}`}>{t(locality === 'local' ? 'ai.local' : 'ai.cloud')}</span>;
}

/** The user's provider and model (or none), saved with `PUT /api/settings/ai`. */
function AiChoice() {
  const { t } = useI18n();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: AI_KEY, queryFn: () => get<AiSettings>('/api/settings/ai') });
  const [providerId, setProviderId] = useState('');
  const [model, setModel] = useState('');
  const [saved, setSaved] = useState(false);
  const providerField = useId();
  const modelField = useId();
  useEffect(() => {
    if (!settings.data) return;
    setProviderId(settings.data.providerId ?? '');
    setModel(settings.data.model ?? '');
  }, [settings.data]);
  const save = useMutation({
    mutationFn: () => put<AiSettings>('/api/settings/ai', { providerId: providerId || null, ...(providerId && model ? { model } : {}) }),
    onMutate: () => setSaved(false),
    onSuccess: (data) => {
      client.setQueryData(AI_KEY, data);
      setSaved(true);
    },
  });
  if (settings.isPending) return <Loading />;
  if (!settings.data) return <ErrorNote error={settings.error} />;
  const providers = settings.data.providers;
  const chosen = providers.find((p) => p.id === providerId);
  const changed = (settings.data.providerId ?? '') !== providerId || (providerId !== '' && (settings.data.model ?? '') !== model);
  return (
    <div>
      {providers.length === 0 ? <p className="muted">{t('ai.noProviders')}</p> : null}
      <div className="row">
        <div className="field">
          <label htmlFor={providerField}>{t('ai.provider')}</label>
          <select
            id={providerField}
            value={providerId}
            data-testid="ai-provider"
            onChange={(e) => {
              setProviderId(e.target.value);
              setModel(providers.find((p) => p.id === e.target.value)?.models[0] ?? '');
              setSaved(false);
            }}
          >
            <option value="">{t('ai.none')}</option>
            {providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({t(p.locality === 'local' ? 'ai.local' : 'ai.cloud')})
              </option>
            ))}
          </select>
        </div>
        {chosen ? (
          <div className="field">
            <label htmlFor={modelField}>{t('ai.model')}</label>
            <select id={modelField} value={model} data-testid="ai-model" onChange={(e) => (setModel(e.target.value), setSaved(false))}>
              {chosen.models.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>
      {chosen ? (
        <p className="note" data-testid="ai-locality">
          <LocalityBadge locality={chosen.locality} /> {t(chosen.locality === 'local' ? 'ai.localNote' : 'ai.cloudNote')}
        </p>
      ) : null}
      <ErrorNote error={save.error} />
      {saved ? <Notice>{t('common.saved')}</Notice> : null}
      <button type="button" className="primary" disabled={save.isPending || !changed} onClick={() => save.mutate()}>
        {t('common.save')}
      </button>
    </div>
  );
}

/** Re-analyse everything: an estimate first, then a start confirmed with that estimate's count. */
function Reanalyse() {
  const { t } = useI18n();
  const client = useQueryClient();
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [changedNote, setChangedNote] = useState(false);
  const ask = useMutation({
    mutationFn: () => post<{ estimate: Estimate }>('/api/analysis/reanalyse', {}),
    onMutate: () => setChangedNote(false),
    onSuccess: (res) => setEstimate(res.estimate),
  });
  const start = useMutation({
    mutationFn: (messages: number) => post<{ messages: number }>('/api/analysis/reanalyse', { confirm: { messages } }),
    onSuccess: () => {
      setEstimate(null);
      refreshMail(client);
    },
    onError: (err) => {
      // The count moved since the estimate: show the new one, to be confirmed again.
      const next = err instanceof ApiError && err.code === 'REANALYSE_ESTIMATE_CHANGED' ? (err.details.estimate as Estimate | undefined) : undefined;
      if (next) {
        setEstimate(next);
        setChangedNote(true);
      }
    },
  });
  const locale = useI18n().language === 'de' ? 'de-CH' : 'en-GB';
  return (
    <div className="reanalyse">
      <h3>{t('ai.reanalyse')}</h3>
      <p className="muted">{t('ai.reanalyseIntro')}</p>
      <ErrorNote error={ask.error ?? (changedNote ? null : start.error)} />
      {changedNote ? <p className="note note-error" role="alert">{t('ai.estimateChanged')}</p> : null}
      {start.isSuccess ? <Notice>{t('ai.reanalyseStarted', { messages: start.data.messages })}</Notice> : null}
      {estimate ? (
        <p className="note" data-testid="reanalyse-estimate">
          {estimate.provider
            ? t('ai.estimateText', {
                messages: estimate.messages,
                tokens: estimate.estimatedTokens.toLocaleString(locale),
                provider: `${estimate.provider.name} / ${estimate.provider.model} (${t(estimate.provider.locality === 'local' ? 'ai.local' : 'ai.cloud')})`,
              })
            : t('ai.estimateBuiltin', { messages: estimate.messages })}
          {estimate.provider?.locality === 'cloud' ? ` ${t('ai.cloudNote')}` : ''}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" onClick={() => ask.mutate()} disabled={ask.isPending}>
          {t('ai.estimate')}
        </button>
        {estimate ? (
          <button type="button" className="primary" disabled={start.isPending} onClick={() => start.mutate(estimate.messages)}>
            {t('ai.confirmReanalyse', { messages: estimate.messages })}
          </button>
        ) : null}
      </div>
    </div>
  );
}

/** Settings → AI analysis (docs/analysis.md, "Providers (admin) and the user's choice"). */
export function AiSection() {
  const { t } = useI18n();
  return (
    <Section title={t('ai.title')}>
      <p className="muted">{t('ai.intro')}</p>
      <AiChoice />
      <Reanalyse />
    </Section>
  );
}
