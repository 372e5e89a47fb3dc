import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { del, get, patch, post } from '../api';
import { ErrorNote, Field, Form, Loading, Page, Section, Table } from '../components';
import { useI18n } from '../i18n';
import { LocalityBadge, type Locality } from './settings-ai';

/** What `GET /api/admin/ai-providers` lists: never the key, only whether one is stored. */
interface Provider {
  id: string;
  name: string;
  type: string;
  baseUrl: string;
  models: string[];
  locality: Locality;
  localityOverride: Locality | null;
  enabled: boolean;
  timeoutMs: number;
  concurrency: number;
  dailyTokenBudget: number | null;
  userDailyTokenBudget: number | null;
  hasApiKey: boolean;
  usageToday: { requests: number; inputTokens: number; outputTokens: number };
}

const TYPES = ['ollama', 'openai-compatible', 'anthropic'];
const KEY = ['admin', 'ai-providers'];

interface FormValues {
  name: string;
  type: string;
  baseUrl: string;
  apiKey: string;
  removeKey: boolean;
  models: string;
  locality: '' | Locality;
  enabled: boolean;
  timeoutS: string;
  concurrency: string;
  budget: string;
  userBudget: string;
}

const empty: FormValues = {
  name: '',
  type: 'ollama',
  baseUrl: '',
  apiKey: '',
  removeKey: false,
  models: '',
  locality: '',
  enabled: true,
  timeoutS: '60',
  concurrency: '2',
  budget: '',
  userBudget: '',
};

function valuesOf(p: Provider): FormValues {
  return {
    name: p.name,
    type: p.type,
    baseUrl: p.baseUrl,
    apiKey: '',
    removeKey: false,
    models: p.models.join('\n'),
    locality: p.localityOverride ?? '',
    enabled: p.enabled,
    timeoutS: String(Math.round(p.timeoutMs / 1000)),
    concurrency: String(p.concurrency),
    budget: p.dailyTokenBudget === null ? '' : String(p.dailyTokenBudget),
    userBudget: p.userDailyTokenBudget === null ? '' : String(p.userDailyTokenBudget),
  };
}

/** The request body; the key only when one was typed (or removal asked for), so a stored key stays. */
function bodyOf(v: FormValues, editing: Provider | null): Record<string, unknown> {
  const budget = (s: string) => (s.trim() === '' ? null : Number(s));
  return {
    name: v.name.trim(),
    type: v.type,
    baseUrl: v.baseUrl.trim(),
    models: v.models
      .split(/[\n,]/)
      .map((m) => m.trim())
      .filter(Boolean),
    locality: v.locality || null,
    enabled: v.enabled,
    timeoutMs: Math.round(Number(v.timeoutS) * 1000),
    concurrency: Number(v.concurrency),
    dailyTokenBudget: budget(v.budget),
    userDailyTokenBudget: budget(v.userBudget),
    ...(v.apiKey ? { apiKey: v.apiKey } : editing?.hasApiKey && v.removeKey ? { apiKey: null } : {}),
  };
}

function ProviderForm({ editing, onDone }: { editing: Provider | null; onDone: () => void }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [v, setV] = useState<FormValues>(editing ? valuesOf(editing) : empty);
  const set = <K extends keyof FormValues>(k: K) => (value: FormValues[K]) => setV((old) => ({ ...old, [k]: value }));
  const ids = { type: useId(), models: useId(), locality: useId() };
  const save = useMutation({
    mutationFn: () => (editing ? patch<Provider>(`/api/admin/ai-providers/${editing.id}`, bodyOf(v, editing)) : post<Provider>('/api/admin/ai-providers', bodyOf(v, null))),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: KEY });
      if (!editing) setV(empty);
      onDone();
    },
  });
  return (
    <Section title={editing ? t('aip.edit', { name: editing.name }) : t('aip.add')}>
      <Form onSubmit={() => save.mutate()} busy={save.isPending}>
        <div className="row">
          <Field label={t('aip.name')} required maxLength={60} value={v.name} onValue={set('name')} />
          <div className="field">
            <label htmlFor={ids.type}>{t('aip.type')}</label>
            <select id={ids.type} value={v.type} onChange={(e) => set('type')(e.target.value)}>
              {TYPES.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </div>
        </div>
        <Field label={t('aip.baseUrl')} help={t('aip.baseUrlHelp')} type="url" required maxLength={500} value={v.baseUrl} onValue={set('baseUrl')} />
        <Field
          label={t('aip.apiKey')}
          help={editing?.hasApiKey ? t('aip.apiKeyKept') : t('aip.apiKeyHelp')}
          type="password"
          autoComplete="off"
          maxLength={500}
          value={v.apiKey}
          onValue={set('apiKey')}
        />
        {editing?.hasApiKey ? (
          <label className="check">
            <input type="checkbox" checked={v.removeKey} onChange={(e) => set('removeKey')(e.target.checked)} disabled={Boolean(v.apiKey)} />
            {t('aip.removeKey')}
          </label>
        ) : null}
        <div className="field">
          <label htmlFor={ids.models}>{t('aip.models')}</label>
          <textarea id={ids.models} required rows={3} value={v.models} onChange={(e) => set('models')(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.locality}>{t('aip.locality')}</label>
          <select id={ids.locality} value={v.locality} onChange={(e) => set('locality')(e.target.value as FormValues['locality'])}>
            <option value="">{t('aip.localityAuto')}</option>
            <option value="local">{t('aip.localityLocal')}</option>
            <option value="cloud">{t('aip.localityCloud')}</option>
          </select>
        </div>
        <div className="row">
          <Field label={t('aip.timeout')} type="number" min={1} max={600} required value={v.timeoutS} onValue={set('timeoutS')} />
          <Field label={t('aip.concurrency')} type="number" min={1} max={32} required value={v.concurrency} onValue={set('concurrency')} />
        </div>
        <div className="row">
          <Field label={t('aip.budget')} type="number" min={1000} value={v.budget} onValue={set('budget')} />
          <Field label={t('aip.userBudget')} type="number" min={1000} value={v.userBudget} onValue={set('userBudget')} />
        </div>
        <label className="check">
          <input type="checkbox" checked={v.enabled} onChange={(e) => set('enabled')(e.target.checked)} />
          {t('aip.enabled')}
        </label>
        <ErrorNote error={save.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            {editing ? t('common.save') : t('common.create')}
          </button>
          {editing ? (
            <button type="button" onClick={onDone}>
              {t('common.cancel')}
            </button>
          ) : null}
        </div>
      </Form>
    </Section>
  );
}

/** `/admin/ai-providers`: providers with locality and today's usage; create, edit, delete. */
export function AiProvidersPage() {
  const { t } = useI18n();
  const client = useQueryClient();
  const list = useQuery({ queryKey: KEY, queryFn: () => get<{ items: Provider[] }>('/api/admin/ai-providers'), select: (d) => d.items });
  const [editing, setEditing] = useState<Provider | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) => del(`/api/admin/ai-providers/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: KEY }),
  });
  const locale = useI18n().language === 'de' ? 'de-CH' : 'en-GB';
  return (
    <Page title={t('aip.title')}>
      <p className="note">{t('aip.intro')}</p>
      <Section title={t('aip.title')}>
        {list.isPending ? <Loading /> : null}
        <ErrorNote error={list.error ?? remove.error} />
        {list.data?.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
        {list.data?.length ? (
          <Table label={t('aip.title')} head={[t('aip.name'), t('aip.type'), t('aip.locality'), t('aip.usage'), t('common.actions')]}>
            {list.data.map((p) => (
              <tr key={p.id} data-testid={`provider-${p.name}`}>
                <td className="break">
                  {p.name}
                  {p.enabled ? null : <span className="muted"> ({t('aip.disabled')})</span>}
                  <div className="muted break">{p.baseUrl}</div>
                  <div className="muted">{p.models.join(', ')}</div>
                </td>
                <td>{p.type}</td>
                <td>
                  <LocalityBadge locality={p.locality} />
                  {p.localityOverride ? <div className="muted">{t('aip.localitySet')}</div> : null}
                  <div className="muted">{t(p.locality === 'cloud' ? 'aip.cloudWarning' : 'aip.localInfo')}</div>
                </td>
                <td>
                  {t('aip.usageText', {
                    requests: p.usageToday.requests,
                    tokens: (p.usageToday.inputTokens + p.usageToday.outputTokens).toLocaleString(locale),
                  })}
                </td>
                <td>
                  <div className="cell-actions">
                    <button type="button" onClick={() => setEditing(p)} aria-label={t('aip.edit', { name: p.name })}>
                      {t('aip.editShort')}
                    </button>
                    <button
                      type="button"
                      className="danger"
                      disabled={remove.isPending}
                      aria-label={`${t('common.delete')}: ${p.name}`}
                      onClick={() => window.confirm(t('aip.confirmDelete', { name: p.name })) && remove.mutate(p.id)}
                    >
                      {t('common.delete')}
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </Table>
        ) : null}
      </Section>
      {/* One form at a time: editing replaces the "add" form until saved or cancelled. */}
      {editing ? (
        <ProviderForm key={editing.id} editing={editing} onDone={() => setEditing(null)} />
      ) : (
        <ProviderForm key="new" editing={null} onDone={() => undefined} />
      )}
    </Page>
  );
}
