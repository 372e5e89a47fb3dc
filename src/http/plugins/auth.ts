import '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import { AppError } from '../../errors.js';
import type { NewSession, SessionAuth } from '../../services/auth/sessions.js';
import type { Services } from '../../services/index.js';
import type { Scope, TokenAuth } from '../../services/tokens.js';
import { secretsEqual } from '../../services/auth/tokens.js';

export type RouteAccess = 'public' | 'user' | 'admin';

/** Who is calling: a browser session or a personal API token. */
export type RequestAuth = SessionAuth | (TokenAuth & { kind: 'token' });

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route; /api routes default to 'user'. */
    access?: RouteAccess;
    /** Manages sign-in itself (password, 2FA, tokens): sessions only, never an API token. */
    signIn?: boolean;
    /** Needs the password (and code) re-entered within the last five minutes. */
    stepUp?: boolean;
    /** Reachable between password and second factor. */
    pending2fa?: boolean;
    /** Reachable before a user has enrolled 2FA under the `required` policy. */
    enrollment?: boolean;
    /** Also open to the MONITORING_TOKEN bearer (health, metrics). */
    monitoring?: boolean;
  }
  interface FastifyRequest {
    /** The caller presented MONITORING_TOKEN on a monitoring route. */
    isMonitoring: boolean;
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

function bearerToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * Resolves the caller (session cookie or bearer token) into `request.auth` and enforces each route's
 * rules: access level, token scopes, CSRF for sessions, 2FA state, and step-up.
 */
export function registerAuth(app: FastifyInstance, deps: { services: Pick<Services, 'auth' | 'tokens'>; config: Config }): void {
  const cookieName = sessionCookieName(deps.config);
  const { auth: authService, tokens } = deps.services;
  app.decorateRequest('auth', null);
  app.decorateRequest('isMonitoring', false);
  const monitoringToken = deps.config.monitoringToken;

  app.addHook('preHandler', async (req: FastifyRequest) => {
    // Unmatched URLs reach the 404 handler, which reveals nothing.
    if (!req.routeOptions.url) return;
    const config = req.routeOptions.config ?? {};
    const access = config.access ?? (req.url.startsWith('/api/') ? 'user' : 'public');
    const isSafe = SAFE_METHODS.has(req.method);

    const bearer = bearerToken(req);
    if (bearer && config.monitoring && monitoringToken && secretsEqual(bearer, monitoringToken)) {
      req.isMonitoring = true;
      return;
    }
    if (bearer) {
      const tokenAuth = await tokens.authenticate(bearer);
      if (!tokenAuth) throw new AppError('UNAUTHENTICATED', 'The API token is unknown, expired or revoked', 401);
      req.auth = { kind: 'token', ...tokenAuth };
    } else {
      const cookie = req.cookies?.[cookieName];
      req.auth = cookie ? await authService.authenticate(cookie) : null;
    }
    if (access === 'public') return;
    const auth = req.auth;
    if (!auth) throw new AppError('UNAUTHENTICATED', 'Sign in first', 401);

    if (auth.kind === 'token') {
      if (config.signIn) throw new AppError('TOKEN_NOT_ALLOWED', 'API tokens cannot manage sign-in (passwords, 2FA, tokens)', 403);
      const needed: Scope = access === 'admin' ? 'admin' : isSafe ? 'read' : 'write';
      if (!auth.scopes.includes(needed) && !(needed === 'read' && auth.scopes.includes('write'))) {
        throw new AppError('TOKEN_SCOPE', `This API token lacks the "${needed}" scope`, 403, { needed });
      }
      if (config.stepUp) throw new AppError('STEP_UP_REQUIRED', 'This change needs a signed-in session with your password', 403);
    } else {
      if (!isSafe && !authService.isCsrfValid(auth, headerValue(req.headers['x-csrf-token']))) {
        throw new AppError('CSRF_FAILED', 'The CSRF token is missing or wrong; reload the page', 403);
      }
      if (auth.state === 'pending_2fa' && !config.pending2fa) {
        throw new AppError('TWO_FACTOR_REQUIRED', 'Enter the code from your authenticator app first', 401);
      }
      if (deps.config.twoFactorPolicy === 'required' && !auth.twoFactorEnabled && auth.state === 'full' && !config.enrollment) {
        throw new AppError('TWO_FACTOR_ENROLLMENT_REQUIRED', 'Set up two-factor sign-in first', 403);
      }
      if (config.stepUp && !authService.hasRecentStepUp(auth)) {
        throw new AppError('STEP_UP_REQUIRED', 'Enter your password again to confirm this change', 403);
      }
    }
    if (access === 'admin' && auth.user.role !== 'admin') throw new AppError('FORBIDDEN', 'Only admins may do this', 403);
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function requireAuth(req: FastifyRequest): RequestAuth {
  if (!req.auth) throw new AppError('UNAUTHENTICATED', 'Sign in first', 401);
  return req.auth;
}

/** Routes marked `signIn` only ever see sessions; this narrows the type for them. */
export function requireSession(req: FastifyRequest): SessionAuth {
  const auth = requireAuth(req);
  if (auth.kind !== 'session') throw new AppError('TOKEN_NOT_ALLOWED', 'API tokens cannot manage sign-in', 403);
  return auth;
}

export function viewerOf(req: FastifyRequest): { id: string; role: 'admin' | 'user' } {
  const auth = requireAuth(req);
  return { id: auth.user.id, role: auth.user.role };
}
