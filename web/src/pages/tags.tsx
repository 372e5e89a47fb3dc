import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { del, get, patch, post } from '../api';
import { ErrorNote, Field, Form, Loading, Page, Section, Table } from '../components';
import { useI18n } from '../i18n';
import { refreshMail } from '../mail/mail-api';
import { Link } from '../router';

/** A tag as `GET /api/tags` lists it (docs/analysis.md, "Tags"). */
export interface Tag {
  id: string;
  name: string;
  colour: string;
  messageCount: number;
}

export const TAGS_KEY = ['tags'];
const DEFAULT_COLOUR = '#64748b';

/** The list behind the tags page (with counts); the mail pages read the same key through useTags. */
function useTagList() {
  return useQuery({ queryKey: TAGS_KEY, queryFn: () => get<{ items: Tag[] }>('/api/tags'), select: (d) => d.items });
}

/** `/tags`: the user's tags with their message counts; create, rename, recolour, delete. */
export function TagsPage() {
  const { t } = useI18n();
  const tags = useTagList();
  return (
    <Page title={t('tags.title')}>
      <p className="muted">{t('tags.intro')}</p>
      <CreateTag />
      <Section title={t('tags.title')}>
        {tags.isPending ? <Loading /> : null}
        <ErrorNote error={tags.error} />
        {tags.data && tags.data.length === 0 ? <p className="muted">{t('tags.empty')}</p> : null}
        {tags.data?.length ? (
          <Table label={t('tags.title')} head={[t('tags.colour'), t('tags.name'), t('tags.count'), t('common.actions')]}>
            {tags.data.map((tag) => (
              <TagRow key={`${tag.id}-${tag.name}-${tag.colour}`} tag={tag} />
            ))}
          </Table>
        ) : null}
      </Section>
    </Page>
  );
}

function useTagsChanged() {
  const client = useQueryClient();
  return async () => {
    await client.invalidateQueries({ queryKey: TAGS_KEY });
    // Summaries carry tag names and colours.
    refreshMail(client);
  };
}

function CreateTag() {
  const { t } = useI18n();
  const changed = useTagsChanged();
  const [name, setName] = useState('');
  const [colour, setColour] = useState(DEFAULT_COLOUR);
  const create = useMutation({
    mutationFn: () => post<Tag>('/api/tags', { name: name.trim(), colour }),
    onSuccess: async () => {
      setName('');
      await changed();
    },
  });
  return (
    <Section title={t('tags.create')}>
      <Form onSubmit={() => create.mutate()} busy={create.isPending}>
        <div className="row">
          <Field label={t('tags.name')} required maxLength={64} value={name} onValue={setName} data-testid="tag-name" />
          <Field label={t('tags.colour')} type="color" value={colour} onValue={setColour} className="colour-input" />
        </div>
        <ErrorNote error={create.error} />
        <button type="submit" className="primary" disabled={create.isPending || !name.trim()}>
          {t('common.create')}
        </button>
      </Form>
    </Section>
  );
}

function TagRow({ tag }: { tag: Tag }) {
  const { t } = useI18n();
  const changed = useTagsChanged();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(tag.name);
  const nameId = useId();
  const [colour, setColour] = useState(tag.colour);
  const update = useMutation({
    mutationFn: (body: { name?: string; colour?: string }) => patch<Tag>(`/api/tags/${tag.id}`, body),
    onSuccess: async () => {
      setRenaming(false);
      await changed();
    },
  });
  const remove = useMutation({ mutationFn: () => del(`/api/tags/${tag.id}`), onSuccess: changed });
  // The picker reports every colour while the user drags; save the one they settle on.
  const { mutate } = update;
  useEffect(() => {
    if (colour === tag.colour) return;
    const timer = setTimeout(() => mutate({ colour }), 500);
    return () => clearTimeout(timer);
  }, [colour, tag.colour, mutate]);
  return (
    <tr data-testid={`tag-row-${tag.name}`}>
      <td>
        <input
          type="color"
          className="colour-input"
          aria-label={t('tags.colourOf', { name: tag.name })}
          value={colour}
          disabled={update.isPending}
          onChange={(e) => setColour(e.target.value)}
        />
      </td>
      <td className="break">
        {renaming ? (
          <Form onSubmit={() => update.mutate({ name: name.trim() })} busy={update.isPending}>
            <label htmlFor={nameId} className="sr-only">
              {t('tags.renameOf', { name: tag.name })}
            </label>
            <div className="field-inline">
              <input id={nameId} required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
              <button type="submit" className="primary" disabled={update.isPending || !name.trim()}>
                {t('common.save')}
              </button>
              <button type="button" onClick={() => (setRenaming(false), setName(tag.name), update.reset())}>
                {t('common.cancel')}
              </button>
            </div>
          </Form>
        ) : (
          <Link to={`/messages?tag=${encodeURIComponent(tag.id)}`}>
            <span className="tag-dot" style={{ background: tag.colour }} aria-hidden="true" />
            {tag.name}
          </Link>
        )}
        <ErrorNote error={update.error ?? remove.error} />
      </td>
      <td className="num">{tag.messageCount}</td>
      <td>
        <div className="cell-actions">
          {!renaming ? (
            <button type="button" onClick={() => setRenaming(true)} aria-label={`${t('tags.rename')}: ${tag.name}`}>
              {t('tags.rename')}
            </button>
          ) : null}
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            aria-label={`${t('common.delete')}: ${tag.name}`}
            onClick={() => window.confirm(t('tags.confirmDelete', { name: tag.name, count: tag.messageCount })) && remove.mutate()}
          >
            {t('common.delete')}
          </button>
        </div>
      </td>
    </tr>
  );
}
