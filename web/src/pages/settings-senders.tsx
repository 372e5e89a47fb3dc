import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, del, get, post } from '../api';
import { ErrorNote, Field, Form, Loading, Notice, Section } from '../components';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';

interface Rule {
  id: string;
  pattern?: string;
  domain?: string;
  createdAt: number;
}

interface RuleListProps {
  /** `/api/settings/vip-senders` or `/api/settings/own-domains`. */
  path: string;
  /** The body field: `pattern` or `domain`. */
  field: 'pattern' | 'domain';
  title: MessageKey;
  intro: MessageKey;
  label: MessageKey;
  invalid: MessageKey;
  placeholder: string;
  testId: string;
}

/** One list of sender rules: the entries, a field to add one (the server's validation shown in words), remove. */
function RuleList({ path, field, title, intro, label, invalid, placeholder, testId }: RuleListProps) {
  const { t } = useI18n();
  const client = useQueryClient();
  const key = ['settings', path];
  const list = useQuery({ queryKey: key, queryFn: () => get<{ items: Rule[] }>(path), select: (d) => d.items });
  const [value, setValue] = useState('');
  const [changed, setChanged] = useState(false);
  const done = async () => {
    setChanged(true);
    await client.invalidateQueries({ queryKey: key });
  };
  const add = useMutation({
    mutationFn: () => post<Rule>(path, { [field]: value.trim() }),
    onSuccess: async () => {
      setValue('');
      await done();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => del(`${path}/${id}`), onSuccess: done });
  // The server names only the field at fault; say what it expects instead.
  const addError = add.error instanceof ApiError && add.error.code === 'VALIDATION_FAILED' ? new Error(t(invalid)) : add.error;
  return (
    <Section title={t(title)}>
      <p className="muted">{t(intro)}</p>
      {list.isPending ? <Loading /> : null}
      <ErrorNote error={list.error ?? remove.error} />
      {list.data?.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
      {list.data?.length ? (
        <ul className="rule-list" data-testid={testId}>
          {list.data.map((r) => {
            const text = r.pattern ?? r.domain ?? '';
            return (
              <li key={r.id}>
                <span className="break">{text}</span>
                <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate(r.id)} aria-label={t('senders.remove', { value: text })}>
                  {t('common.delete')}
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      <Form onSubmit={() => add.mutate()} busy={add.isPending}>
        <Field
          label={t(label)}
          required
          maxLength={254}
          placeholder={placeholder}
          value={value}
          onValue={(v) => {
            setValue(v);
            add.reset();
          }}
        />
        <ErrorNote error={addError} />
        {changed && !add.error ? <Notice>{t('senders.reanalyse')}</Notice> : null}
        <button type="submit" className="primary" disabled={add.isPending || !value.trim()}>
          {t('senders.add')}
        </button>
      </Form>
    </Section>
  );
}

/** Settings → senders: VIP senders and own domains (docs/analysis.md, "Sender relationship"). */
export function SenderSections() {
  return (
    <>
      <RuleList
        path="/api/settings/vip-senders"
        field="pattern"
        title="senders.vip"
        intro="senders.vipIntro"
        label="senders.vipPattern"
        invalid="senders.vipInvalid"
        placeholder="*@firma.ch"
        testId="vip-list"
      />
      <RuleList
        path="/api/settings/own-domains"
        field="domain"
        title="senders.ownDomains"
        intro="senders.ownIntro"
        label="senders.domain"
        invalid="senders.domainInvalid"
        placeholder="firma.ch"
        testId="domain-list"
      />
    </>
  );
}
