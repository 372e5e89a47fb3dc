import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { del, get, post } from '../api';
import { ErrorNote, Field, Form, Loading, OnceSecret, Section, Table } from '../components';
import { useI18n } from '../i18n';
import { useMe } from '../session';
import type { ApiToken } from '../types';

const TOKENS_KEY = ['tokens'];

export function TokensSection() {
  const { t, formatTime } = useI18n();
  const me = useMe();
  const client = useQueryClient();
  const tokens = useQuery({ queryKey: TOKENS_KEY, queryFn: () => get<{ items: ApiToken[] }>('/api/tokens') });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read', 'write']);
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<string | null>(null);

  const create = useMutation({
    mutationFn: () =>
      post<ApiToken & { token: string }>('/api/tokens', { name, scopes, ...(days ? { expiresInDays: Number(days) } : {}) }),
    onSuccess: async (res) => {
      setCreated(res.token);
      setName('');
      setDays('');
      await client.invalidateQueries({ queryKey: TOKENS_KEY });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => del(`/api/tokens/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: TOKENS_KEY }),
  });
  const available = me.role === 'admin' ? ['read', 'write', 'admin'] : ['read', 'write'];
  const toggle = (scope: string) => setScopes((s) => (s.includes(scope) ? s.filter((x) => x !== scope) : [...s, scope]));

  return (
    <Section title={t('tokens.title')}>
      <p className="muted">{t('tokens.intro')}</p>
      {created ? (
        <OnceSecret label={t('tokens.created')} testId="new-token">
          <code className="break">{created}</code>
        </OnceSecret>
      ) : null}
      <Form onSubmit={() => create.mutate()} busy={create.isPending}>
        <div className="row">
          <Field label={t('tokens.name')} required maxLength={100} value={name} onValue={setName} />
          <Field label={t('tokens.expiresInDays')} type="number" min={1} max={3650} value={days} onValue={setDays} />
        </div>
        <fieldset>
          <legend>{t('tokens.scopes')}</legend>
          {available.map((scope) => (
            <label key={scope} className="check">
              <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggle(scope)} /> {scope}
            </label>
          ))}
        </fieldset>
        <ErrorNote error={create.error} />
        <button type="submit" className="primary" disabled={create.isPending || scopes.length === 0}>
          {t('common.create')}
        </button>
      </Form>
      <ErrorNote error={tokens.error ?? revoke.error} />
      {tokens.isPending ? <Loading /> : null}
      {tokens.data && tokens.data.items.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
      {tokens.data && tokens.data.items.length > 0 ? (
        <Table label={t('tokens.title')} head={[t('tokens.name'), t('tokens.scopes'), t('common.created'), t('tokens.lastUsed'), t('common.expires'), t('common.actions')]}>
          {tokens.data.items.map((tok) => (
            <tr key={tok.id}>
              <td>{tok.name}</td>
              <td>{tok.scopes.join(', ')}</td>
              <td>{formatTime(tok.createdAt)}</td>
              <td>{tok.lastUsedAt ? formatTime(tok.lastUsedAt) : t('common.never')}</td>
              <td>{tok.expiresAt ? formatTime(tok.expiresAt) : t('common.never')}</td>
              <td>
                <button type="button" className="danger" onClick={() => revoke.mutate(tok.id)}>
                  {t('common.revoke')}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
    </Section>
  );
}
