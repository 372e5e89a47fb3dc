import '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import { AppError } from '../../errors.js';
import type { NewSession, SessionAuth } from '../../services/auth/sessions.js';
import type { Services } from '../../services/index.js';

export type RouteAccess = 'public' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    auth: SessionAuth | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route; /api routes default to 'user'. */
    access?: RouteAccess;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionCookieName(config: Pick<Config, 'http'>): string {
  return isSecure(config) ? '__Host-mh_session' : 'mh_session';
}

function isSecure(config: Pick<Config, 'http'>): boolean {
  return config.http.publicUrl?.startsWith('https://') ?? false;
}

export function setSessionCookie(reply: FastifyReply, config: Pick<Config, 'http'>, session: NewSession, maxAgeSeconds: number): void {
  reply.setCookie(sessionCookieName(config), session.token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecure(config),
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(reply: FastifyReply, config: Pick<Config, 'http'>): void {
  reply.clearCookie(sessionCookieName(config), { path: '/', httpOnly: true, sameSite: 'lax', secure: isSecure(config) });
}

/**
 * Resolves the session cookie into `request.auth`, enforces each route's access level, and requires
 * the CSRF token on every state-changing request made with a session.
 */
export function registerAuth(app: FastifyInstance, deps: { services: Pick<Services, 'auth'>; config: Config }): void {
  const cookieName = sessionCookieName(deps.config);
  app.decorateRequest('auth', null);

  app.addHook('preHandler', async (req: FastifyRequest) => {
    // Unmatched URLs reach the 404 handler, which reveals nothing.
    if (!req.routeOptions.url) return;
    const access = req.routeOptions.config?.access ?? (req.url.startsWith('/api/') ? 'user' : 'public');
    const token = req.cookies?.[cookieName];
    req.auth = token ? await deps.services.auth.authenticate(token) : null;

    if (access === 'public') return;
    if (!req.auth) throw new AppError('UNAUTHENTICATED', 'Sign in first', 401);
    if (!SAFE_METHODS.has(req.method)) {
      const presented = req.headers['x-csrf-token'];
      if (!deps.services.auth.isCsrfValid(req.auth, typeof presented === 'string' ? presented : undefined)) {
        throw new AppError('CSRF_FAILED', 'The CSRF token is missing or wrong; reload the page', 403);
      }
    }
    if (access === 'admin' && req.auth.user.role !== 'admin') throw new AppError('FORBIDDEN', 'Only admins may do this', 403);
  });
}

export function requireAuth(req: FastifyRequest): SessionAuth {
  if (!req.auth) throw new AppError('UNAUTHENTICATED', 'Sign in first', 401);
  return req.auth;
}

export function viewerOf(req: FastifyRequest): { id: string; role: 'admin' | 'user' } {
  const auth = requireAuth(req);
  return { id: auth.user.id, role: auth.user.role };
}
