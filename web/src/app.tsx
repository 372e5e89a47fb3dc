import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { installApiHooks } from './api';
import { ErrorNote, Loading, Page } from './components';
import { useI18n } from './i18n';
import { useEventStream } from './live-sync';
import { KeyboardShortcuts } from './keyboard';
import { DashboardPage } from './pages/dashboard';
import { MessageListPage } from './pages/message-list';
import { MessageViewPage } from './pages/message-view';
import { TagsPage } from './pages/tags';
import { AccountDetailPage } from './pages/account-detail';
import { AccountNewPage } from './pages/account-new';
import { AccountsPage } from './pages/accounts';
import { AuditPage, JobsPage } from './pages/admin-activity';
import { InvitationsPage, UsersPage } from './pages/admin-users';
import { EnrolPage } from './pages/enrol';
import { InvitePage } from './pages/invite';
import { LanguageSelect, SettingsPage } from './pages/settings';
import { LoginPage, SetupPage, TwoFactorPage } from './pages/sign-in';
import { Link, navigate, usePath } from './router';
import { SESSION_KEY, useLogout, useSession } from './session';
import { StepUpDialog } from './step-up';
import { useTheme, type ThemeChoice } from './theme';
import type { Me } from './types';

// Admin-only and rarely opened: loaded on demand, so it does not weigh on the first load.
const AiProvidersPage = lazy(() => import('./pages/admin-ai').then((m) => ({ default: m.AiProvidersPage })));

function ThemeSelect() {
  const { t } = useI18n();
  const [theme, setTheme] = useTheme();
  return (
    <select aria-label={t('app.theme')} value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)} data-testid="theme">
      <option value="system">{t('theme.system')}</option>
      <option value="light">{t('theme.light')}</option>
      <option value="dark">{t('theme.dark')}</option>
    </select>
  );
}

function Header({ me }: { me: Me | null }) {
  const { t } = useI18n();
  const path = usePath();
  const logout = useLogout();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  const links: [string, string][] = me
    ? [
        ['/', t('nav.home')],
        ['/messages', t('nav.messages')],
        ['/tags', t('nav.tags')],
        ['/accounts', t('nav.accounts')],
        ['/settings', t('nav.settings')],
        ...(me.role === 'admin'
          ? ([
              ['/admin/users', t('nav.users')],
              ['/admin/invitations', t('nav.invitations')],
              ['/admin/audit', t('nav.audit')],
              ['/admin/jobs', t('nav.jobs')],
              ['/admin/ai-providers', t('nav.aiProviders')],
            ] as [string, string][])
          : []),
      ]
    : [];
  const fullyIn = me && !(me.twoFactor.required && !me.twoFactor.enabled);
  return (
    <header className="topbar">
      <div className="brand">{t('app.name')}</div>
      {fullyIn ? (
        <button type="button" className="menu-toggle" aria-expanded={open} aria-controls="main-nav" onClick={() => setOpen(!open)}>
          ☰<span className="sr-only">{t('nav.menu')}</span>
        </button>
      ) : null}
      {fullyIn ? (
        <nav id="main-nav" aria-label={t('nav.menu')} className={open ? 'nav nav-open' : 'nav'}>
          {links.map(([to, label]) => (
            <Link key={to} to={to} current={path === to || (to !== '/' && path.startsWith(`${to}/`))}>
              {label}
            </Link>
          ))}
        </nav>
      ) : null}
      <div className="tools">
        <LanguageSelect />
        <ThemeSelect />
        {me ? (
          <button type="button" onClick={() => void logout()}>
            {t('nav.logout')}
          </button>
        ) : null}
      </div>
    </header>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <Page title={t('notFound.title')}>
      <Link to="/">{t('notFound.home')}</Link>
    </Page>
  );
}

function routeFor(me: Me, path: string) {
  const admin = me.role === 'admin';
  switch (path) {
    case '/':
      return <DashboardPage />;
    case '/messages':
      return <MessageListPage />;
    case '/accounts':
      return <AccountsPage />;
    case '/tags':
      return <TagsPage />;
    case '/settings':
      return <SettingsPage />;
    case '/settings/2fa':
      return me.twoFactor.enabled ? <SettingsPage /> : <EnrolPage required={false} />;
    case '/accounts/new':
      return <AccountNewPage />;
    case '/invite':
      return <InviteWhileSignedIn />;
  }
  const message = /^\/messages\/([0-9a-f-]{36})$/i.exec(path);
  if (message) return <MessageViewPage key={message[1]} id={message[1]!} />;
  const account = /^\/accounts\/([0-9a-f-]{36})$/i.exec(path);
  if (account) return <AccountDetailPage key={account[1]} id={account[1]!} />;
  if (admin) {
    if (path === '/admin/users') return <UsersPage />;
    if (path === '/admin/invitations') return <InvitationsPage />;
    if (path === '/admin/audit') return <AuditPage />;
    if (path === '/admin/jobs') return <JobsPage />;
    if (path === '/admin/ai-providers')
      return (
        <Suspense fallback={<Loading />}>
          <AiProvidersPage />
        </Suspense>
      );
  }
  return <NotFound />;
}

function InviteWhileSignedIn() {
  const { t } = useI18n();
  return (
    <Page title={t('invite.title')} narrow>
      <p className="note">{t('invite.signedIn')}</p>
    </Page>
  );
}

export function App() {
  const session = useSession();
  const path = usePath();
  const client = useQueryClient();
  useEffect(() => {
    installApiHooks({ signInChanged: () => void client.invalidateQueries({ queryKey: SESSION_KEY }) });
  }, [client]);

  const data = session.data;
  const fullyIn = data?.kind === 'user' && !(data.me.twoFactor.required && !data.me.twoFactor.enabled);
  useEventStream(fullyIn);
  // Pages only signed-out visitors see move to "/" once signed in, so a reload shows the app.
  useEffect(() => {
    if (data?.kind === 'user' && (path === '/login' || path === '/setup')) navigate('/', { replace: true });
  }, [data, path]);

  let body;
  if (session.isPending) body = <Loading />;
  else if (session.error || !data) body = <ErrorNote error={session.error} />;
  else if (data.kind === 'setup') body = <SetupPage tokenRequired={data.tokenRequired} />;
  else if (data.kind === 'anonymous') body = path === '/invite' ? <InvitePage /> : <LoginPage />;
  else if (data.kind === 'pending_2fa') body = <TwoFactorPage />;
  else if (data.me.twoFactor.required && !data.me.twoFactor.enabled) body = <EnrolPage required />;
  else body = routeFor(data.me, path);

  return (
    <>
      <Header me={data?.kind === 'user' ? data.me : null} />
      {body}
      <StepUpDialog />
      <KeyboardShortcuts enabled={Boolean(fullyIn)} />
    </>
  );
}
