/**
 * The isolation harness's table: for every route, how to call it with user A's real ids, and what
 * "isolated" means for it. A route without an entry fails the meta-test, so new routes are covered
 * as they land. Kinds:
 * - owned:  acts on one of A's objects. B must get 404 (or, for lists, no A ids); A must succeed.
 * - self:   acts on the caller only. B's answer must not mention A; A's rows stay unchanged.
 * - admin:  a plain user gets 403.
 * - public: no sign-in (setup, login, probes, invitation acceptance).
 */
export interface IsolationFixture {
  userA: { id: string; username: string };
  tokenIdA: string;
  jobIdA: string;
  invitationId: string;
  accountIdA: string;
  folderIdA: string;
  messageIdA: string;
  /** A message of A that has an attachment (index 0). */
  attachmentMessageIdA: string;
  /** A tag of A, assigned to messageIdA; a VIP sender entry and an own domain of A. */
  tagIdA: string;
  vipSenderIdA: string;
  ownDomainIdA: string;
  threadIdA: string;
}

export interface RouteCase {
  kind: 'owned' | 'self' | 'admin' | 'public';
  build?: (f: IsolationFixture) => { url?: string; body?: unknown };
  /** A list route: B gets 200 and must see none of A's ids. */
  isList?: boolean;
  /** The request changes or ends A's own state (logout, delete); A is sent last. */
  destructive?: boolean;
}

export const routeCases: Record<string, RouteCase> = {
  'GET /livez': { kind: 'public' },
  'GET /readyz': { kind: 'public' },
  'GET /api/setup': { kind: 'public' },
  'POST /api/setup': { kind: 'public' },
  'POST /api/auth/login': { kind: 'public' },
  'POST /api/invitations/inspect': { kind: 'public' },
  'POST /api/invitations/accept': { kind: 'public' },

  'GET /api/auth/session': { kind: 'public' },
  'PATCH /api/me': { kind: 'self', build: () => ({ body: { language: 'de' } }) },
  'POST /api/auth/2fa': { kind: 'self', build: () => ({ body: { code: '123456' } }) },
  'POST /api/auth/step-up': { kind: 'self', build: () => ({ body: { password: 'not-the-password-of-anyone' } }) },
  'POST /api/auth/logout': { kind: 'self', destructive: true },
  'GET /api/me': { kind: 'self' },
  'POST /api/me/password': { kind: 'self', build: () => ({ body: { currentPassword: 'wrong-current-password', newPassword: 'x' } }) },
  'POST /api/me/2fa/enroll': { kind: 'self' },
  'POST /api/me/2fa/confirm': { kind: 'self', build: () => ({ body: { code: '000000' } }) },
  'DELETE /api/me/2fa': { kind: 'self' },
  'GET /api/audit': { kind: 'self' },
  'GET /api/tokens': { kind: 'owned', isList: true },
  'POST /api/tokens': { kind: 'self', build: () => ({ body: { name: 'isolation' } }) },
  'DELETE /api/tokens/:id': { kind: 'owned', destructive: true, build: (f) => ({ url: `/api/tokens/${f.tokenIdA}` }) },

  'GET /api/jobs': { kind: 'owned', isList: true },
  'GET /api/jobs/:id': { kind: 'owned', build: (f) => ({ url: `/api/jobs/${f.jobIdA}` }) },
  'POST /api/jobs/:id/cancel': { kind: 'owned', destructive: true, build: (f) => ({ url: `/api/jobs/${f.jobIdA}/cancel` }) },
  'GET /api/events': { kind: 'self' },

  'GET /api/accounts/presets': { kind: 'self' },
  'GET /api/accounts': { kind: 'owned', isList: true },
  'POST /api/accounts/test': { kind: 'self', build: () => ({ body: { imap: { host: 'mail.invalid', port: 993, security: 'tls', user: 'x', password: 'y' } } }) },
  'POST /api/accounts': { kind: 'self', build: () => ({ body: { name: 'B' } }) },
  'GET /api/accounts/:id': { kind: 'owned', build: (f) => ({ url: `/api/accounts/${f.accountIdA}` }) },
  'PATCH /api/accounts/:id': { kind: 'owned', build: (f) => ({ url: `/api/accounts/${f.accountIdA}`, body: { name: 'renamed', syncIntervalMinutes: 17 } }) },
  'DELETE /api/accounts/:id': { kind: 'owned', destructive: true, build: (f) => ({ url: `/api/accounts/${f.accountIdA}` }) },
  'GET /api/accounts/:id/folders': { kind: 'owned', build: (f) => ({ url: `/api/accounts/${f.accountIdA}/folders` }) },
  'PATCH /api/accounts/:id/folders': {
    kind: 'owned',
    build: (f) => ({ url: `/api/accounts/${f.accountIdA}/folders`, body: { folders: [{ id: f.folderIdA, synced: false }] } }),
  },
  'POST /api/accounts/:id/sync': { kind: 'owned', build: (f) => ({ url: `/api/accounts/${f.accountIdA}/sync` }) },
  'POST /api/accounts/:id/folders/refresh': { kind: 'owned', build: (f) => ({ url: `/api/accounts/${f.accountIdA}/folders/refresh` }) },

  'GET /api/messages': { kind: 'owned', isList: true },
  'GET /api/messages/:id': { kind: 'owned', build: (f) => ({ url: `/api/messages/${f.messageIdA}` }) },
  'GET /api/threads/:id': { kind: 'owned', build: (f) => ({ url: `/api/threads/${f.threadIdA}` }) },
  'GET /api/dashboard': { kind: 'self' },
  'POST /api/messages/:id/correction': { kind: 'owned', build: (f) => ({ url: `/api/messages/${f.messageIdA}/correction`, body: { urgency: 3 } }) },
  'GET /api/messages/:id/render': { kind: 'owned', build: (f) => ({ url: `/api/messages/${f.messageIdA}/render?images=1` }) },
  'POST /api/messages/:id/actions': { kind: 'owned', build: (f) => ({ url: `/api/messages/${f.messageIdA}/actions`, body: { action: 'flag' } }) },
  'POST /api/messages/actions': { kind: 'owned', build: (f) => ({ body: { ids: [f.messageIdA], action: 'read' } }) },
  'GET /api/messages/:id/source': { kind: 'owned', build: (f) => ({ url: `/api/messages/${f.messageIdA}/source` }) },
  'GET /api/messages/:id/attachments/:index': { kind: 'owned', build: (f) => ({ url: `/api/messages/${f.attachmentMessageIdA}/attachments/0` }) },
  'POST /api/messages/:id/tags': { kind: 'owned', build: (f) => ({ url: `/api/messages/${f.messageIdA}/tags`, body: { tagId: f.tagIdA } }) },
  'DELETE /api/messages/:id/tags/:tagId': { kind: 'owned', build: (f) => ({ url: `/api/messages/${f.messageIdA}/tags/${f.tagIdA}` }) },

  'GET /api/tags': { kind: 'owned', isList: true },
  'POST /api/tags': { kind: 'self', build: () => ({ body: { name: 'Isolation', colour: '#112233' } }) },
  'GET /api/tags/:id': { kind: 'owned', build: (f) => ({ url: `/api/tags/${f.tagIdA}` }) },
  'PATCH /api/tags/:id': { kind: 'owned', build: (f) => ({ url: `/api/tags/${f.tagIdA}`, body: { colour: '#445566' } }) },
  'DELETE /api/tags/:id': { kind: 'owned', destructive: true, build: (f) => ({ url: `/api/tags/${f.tagIdA}` }) },
  'GET /api/settings/vip-senders': { kind: 'owned', isList: true },
  'POST /api/settings/vip-senders': { kind: 'self', build: () => ({ body: { pattern: '*@isolation.example' } }) },
  'DELETE /api/settings/vip-senders/:id': { kind: 'owned', destructive: true, build: (f) => ({ url: `/api/settings/vip-senders/${f.vipSenderIdA}` }) },
  'GET /api/settings/own-domains': { kind: 'owned', isList: true },
  'POST /api/settings/own-domains': { kind: 'self', build: () => ({ body: { domain: 'isolation.example' } }) },
  'DELETE /api/settings/own-domains/:id': { kind: 'owned', destructive: true, build: (f) => ({ url: `/api/settings/own-domains/${f.ownDomainIdA}` }) },

  'GET /api/admin/users': { kind: 'admin' },
  'POST /api/admin/users': { kind: 'admin', build: () => ({ body: { username: 'mallory', password: 'mallory-long-passphrase' } }) },
  'PATCH /api/admin/users/:id': { kind: 'admin', build: (f) => ({ url: `/api/admin/users/${f.userA.id}`, body: { disabled: true } }) },
  'DELETE /api/admin/users/:id': { kind: 'admin', build: (f) => ({ url: `/api/admin/users/${f.userA.id}` }) },
  'GET /api/admin/audit': { kind: 'admin' },
  'GET /api/admin/invitations': { kind: 'admin' },
  'POST /api/admin/invitations': { kind: 'admin', build: () => ({ body: {} }) },
  'DELETE /api/admin/invitations/:id': { kind: 'admin', build: (f) => ({ url: `/api/admin/invitations/${f.invitationId}` }) },
  'GET /api/admin/jobs': { kind: 'admin' },
  'GET /api/admin/job-runs': { kind: 'admin' },
  'POST /api/admin/jobs/:id/retry': { kind: 'admin', build: (f) => ({ url: `/api/admin/jobs/${f.jobIdA}/retry` }) },
  'POST /api/admin/jobs/:id/cancel': { kind: 'admin', build: (f) => ({ url: `/api/admin/jobs/${f.jobIdA}/cancel` }) },
  'GET /api/admin/job-types': { kind: 'admin' },
  'POST /api/admin/job-types/:type/pause': { kind: 'admin', build: () => ({ url: '/api/admin/job-types/test.echo/pause' }) },
  'POST /api/admin/job-types/:type/resume': { kind: 'admin', build: () => ({ url: '/api/admin/job-types/test.echo/resume' }) },
  'GET /api/admin/workers': { kind: 'admin' },
  'GET /api/admin/ai-providers': { kind: 'admin' },
  'POST /api/admin/ai-providers': { kind: 'admin', build: () => ({ body: { name: 'mallory-llm', type: 'ollama', baseUrl: 'http://127.0.0.1:1', models: ['m'] } }) },
  'GET /api/admin/ai-providers/:id': { kind: 'admin', build: (f) => ({ url: `/api/admin/ai-providers/${f.jobIdA}` }) },
  'PATCH /api/admin/ai-providers/:id': { kind: 'admin', build: (f) => ({ url: `/api/admin/ai-providers/${f.jobIdA}`, body: { enabled: false } }) },
  'DELETE /api/admin/ai-providers/:id': { kind: 'admin', build: (f) => ({ url: `/api/admin/ai-providers/${f.jobIdA}` }) },
  'GET /api/settings/ai': { kind: 'self' },
  'PUT /api/settings/ai': { kind: 'self', build: () => ({ body: { providerId: null } }) },
  'POST /api/analysis/reanalyse': { kind: 'self', build: () => ({ body: { confirm: { messages: 0 } } }) },
  'GET /api/health': { kind: 'admin' },
  'GET /metrics': { kind: 'admin' },
};

/** The built web UI's files and the OpenAPI pages are public by nature; their names change per build. */
export function routeCaseFor(method: string, url: string): RouteCase | undefined {
  const explicit = routeCases[`${method} ${url}`];
  if (explicit) return explicit;
  if (method === 'GET' && (url.startsWith('/api/docs') || !url.startsWith('/api/'))) return { kind: 'public' };
  return undefined;
}
