import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { del, get, patch, post } from '../api';
import { ErrorNote, Field, Form, Loading, OnceSecret, Page, Section, Table } from '../components';
import { useI18n } from '../i18n';
import { useMe } from '../session';
import type { Invitation, PublicUser, Role } from '../types';

const USERS_KEY = ['admin', 'users'];
const INVITATIONS_KEY = ['admin', 'invitations'];

function RoleSelect({ value, onChange, label }: { value: Role; onChange: (r: Role) => void; label: string }) {
  const { t } = useI18n();
  return (
    <div className="field">
      <label>
        {label}
        <select value={value} onChange={(e) => onChange(e.target.value as Role)}>
          <option value="user">{t('role.user')}</option>
          <option value="admin">{t('role.admin')}</option>
        </select>
      </label>
    </div>
  );
}

export function UsersPage() {
  const { t, formatTime } = useI18n();
  const me = useMe();
  const client = useQueryClient();
  const users = useQuery({ queryKey: USERS_KEY, queryFn: () => get<{ items: PublicUser[] }>('/api/admin/users') });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('user');
  const refresh = () => client.invalidateQueries({ queryKey: USERS_KEY });

  const create = useMutation({
    mutationFn: () => post<PublicUser>('/api/admin/users', { username, password, role }),
    onSuccess: async () => {
      setUsername('');
      setPassword('');
      await refresh();
    },
  });
  const change = useMutation({
    mutationFn: ({ id, body }: { id: string; body: { disabled?: boolean; role?: Role } }) => patch(`/api/admin/users/${id}`, body),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => del(`/api/admin/users/${id}`), onSuccess: refresh });

  return (
    <Page title={t('users.title')}>
      <Section title={t('users.new')}>
        <Form onSubmit={() => create.mutate()} busy={create.isPending}>
          <div className="row">
            <Field label={t('common.username')} autoComplete="off" required value={username} onValue={setUsername} />
            <Field label={t('common.password')} type="password" autoComplete="new-password" required value={password} onValue={setPassword} />
            <RoleSelect label={t('common.role')} value={role} onChange={setRole} />
          </div>
          <ErrorNote error={create.error} />
          <button type="submit" className="primary" disabled={create.isPending}>
            {t('common.create')}
          </button>
        </Form>
      </Section>
      <ErrorNote error={users.error ?? change.error ?? remove.error} />
      {users.isPending ? <Loading /> : null}
      {users.data ? (
        <Table label={t('users.title')} head={[t('common.username'), t('common.role'), t('common.state'), t('common.created'), t('common.actions')]}>
          {users.data.items.map((u) => (
            <tr key={u.id}>
              <td>{u.username}</td>
              <td>{t(u.role === 'admin' ? 'role.admin' : 'role.user')}</td>
              <td>{u.disabled ? t('users.disabled') : '—'}</td>
              <td>{formatTime(u.createdAt)}</td>
              <td>
                {u.id === me.id ? null : (
                  <div className="cell-actions">
                    <button type="button" onClick={() => change.mutate({ id: u.id, body: { disabled: !u.disabled } })}>
                      {u.disabled ? t('users.enable') : t('users.disable')}
                    </button>
                    <button type="button" onClick={() => change.mutate({ id: u.id, body: { role: u.role === 'admin' ? 'user' : 'admin' } })}>
                      {u.role === 'admin' ? t('users.makeUser') : t('users.makeAdmin')}
                    </button>
                    <button
                      type="button"
                      className="danger"
                      onClick={() => window.confirm(t('users.confirmDelete', { name: u.username })) && remove.mutate(u.id)}
                    >
                      {t('common.delete')}
                    </button>
                  </div>
                )}
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
    </Page>
  );
}

function invitationState(inv: Invitation): 'inv.accepted' | 'inv.expired' | 'inv.pending' {
  if (inv.acceptedAt) return 'inv.accepted';
  return inv.expiresAt < Date.now() ? 'inv.expired' : 'inv.pending';
}

export function InvitationsPage() {
  const { t, formatTime } = useI18n();
  const client = useQueryClient();
  const invitations = useQuery({ queryKey: INVITATIONS_KEY, queryFn: () => get<{ items: Invitation[] }>('/api/admin/invitations') });
  const [role, setRole] = useState<Role>('user');
  const [hours, setHours] = useState('72');
  const [link, setLink] = useState<string | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: INVITATIONS_KEY });

  const create = useMutation({
    mutationFn: () => post<Invitation & { token: string }>('/api/admin/invitations', { role, expiresInHours: Number(hours) }),
    onSuccess: async (res) => {
      // The link this admin can open is the origin they use; the fragment never reaches a server.
      setLink(`${window.location.origin}/invite#${res.token}`);
      await refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => del(`/api/admin/invitations/${id}`), onSuccess: refresh });

  return (
    <Page title={t('inv.title')}>
      <Section title={t('inv.title')}>
        <p className="muted">{t('inv.intro')}</p>
        {link ? (
          <OnceSecret label={t('inv.link')} testId="invitation-link">
            <code className="break">{link}</code>
          </OnceSecret>
        ) : null}
        <Form onSubmit={() => create.mutate()} busy={create.isPending}>
          <div className="row">
            <RoleSelect label={t('common.role')} value={role} onChange={setRole} />
            <Field label={t('inv.hours')} type="number" min={1} max={720} required value={hours} onValue={setHours} />
          </div>
          <ErrorNote error={create.error} />
          <button type="submit" className="primary" disabled={create.isPending}>
            {t('common.create')}
          </button>
        </Form>
      </Section>
      <ErrorNote error={invitations.error ?? revoke.error} />
      {invitations.isPending ? <Loading /> : null}
      {invitations.data && invitations.data.items.length === 0 ? <p className="muted">{t('common.none')}</p> : null}
      {invitations.data && invitations.data.items.length > 0 ? (
        <Table label={t('inv.title')} head={[t('common.role'), t('common.state'), t('common.created'), t('common.expires'), t('common.actions')]}>
          {invitations.data.items.map((inv) => (
            <tr key={inv.id}>
              <td>{t(inv.role === 'admin' ? 'role.admin' : 'role.user')}</td>
              <td>{t(invitationState(inv))}</td>
              <td>{formatTime(inv.createdAt)}</td>
              <td>{formatTime(inv.expiresAt)}</td>
              <td>
                {invitationState(inv) === 'inv.pending' ? (
                  <button type="button" className="danger" onClick={() => revoke.mutate(inv.id)}>
                    {t('common.revoke')}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
    </Page>
  );
}
