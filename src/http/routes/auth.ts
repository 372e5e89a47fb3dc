import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import { AppError } from '../../errors.js';
import type { Services } from '../../services/index.js';
import { isLoopback } from '../../services/setup.js';
import { clearSessionCookie, requireAuth, requireSession, setSessionCookie } from '../plugins/auth.js';
import { parseInput } from '../validation.js';

const credentials = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(2000) });
const setupBody = credentials.extend({ setupToken: z.string().max(200).optional() });
const passwordChange = z.object({ currentPassword: z.string().min(1).max(2000), newPassword: z.string().min(1).max(2000) });
const factor = z.union([
  z.object({ code: z.string().min(1).max(20) }).strict(),
  z.object({ recoveryCode: z.string().min(1).max(64) }).strict(),
]);
const stepUpBody = z.object({ password: z.string().min(1).max(2000), code: z.string().max(20).optional(), recoveryCode: z.string().max(64).optional() });
const confirmBody = z.object({ code: z.string().min(1).max(20) });
const mePatch = z.object({ language: z.enum(['de', 'en']) }).strict();

export function clientOf(req: FastifyRequest) {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua : undefined };
}

/** First-run setup, sign-in with 2FA, step-up, sign-out, and the signed-in user's own settings. */
export const authRoutes: FastifyPluginAsync<{ services: Services; config: Config }> = async (app, { services, config }) => {
  const maxAge = services.auth.cookieMaxAgeSeconds();
  const session = { config: { signIn: true, enrollment: true } };

  app.get('/setup', { config: { access: 'public' } }, async (req) => ({
    needed: await services.setup.isNeeded(),
    tokenRequired: !isLoopback(req.ip),
  }));

  app.post('/setup', { config: { access: 'public' } }, async (req, reply) => {
    const body = parseInput(setupBody, req.body);
    await services.setup.run(body, req.ip);
    const s = await services.auth.login(body, clientOf(req));
    setSessionCookie(reply, config, s, maxAge);
    return reply.status(201).send({ user: s.user, csrfToken: s.csrfToken });
  });

  app.post('/auth/login', { config: { access: 'public' } }, async (req, reply) => {
    const body = parseInput(credentials, req.body);
    const previous = req.auth?.kind === 'session' ? req.auth.sessionHash : undefined;
    const s = await services.auth.login(body, clientOf(req), previous);
    setSessionCookie(reply, config, s, maxAge);
    if (s.state === 'pending_2fa') return { twoFactorRequired: true, csrfToken: s.csrfToken };
    return { user: s.user, csrfToken: s.csrfToken };
  });

  app.post('/auth/2fa', { config: { ...session.config, pending2fa: true } }, async (req, reply) => {
    const body = parseInput(factor, req.body);
    const s = await services.auth.completeTwoFactor(requireSession(req), body, clientOf(req));
    setSessionCookie(reply, config, s, maxAge);
    return { user: s.user, csrfToken: s.csrfToken };
  });

  app.post('/auth/step-up', session, async (req) => {
    const body = parseInput(stepUpBody, req.body);
    const at = await services.auth.stepUp(requireSession(req), body, req.ip);
    return { stepUpAt: at };
  });

  app.post('/auth/logout', { config: { signIn: true, enrollment: true, pending2fa: true } }, async (req, reply) => {
    await services.auth.logout(requireSession(req), req.ip);
    clearSessionCookie(reply, config);
    return reply.status(204).send();
  });

  app.get('/me', { config: { enrollment: true } }, async (req) => {
    const auth = requireAuth(req);
    const twoFactor = await services.twoFactor.status(auth.user.id);
    return {
      ...auth.user,
      roles: [auth.user.role],
      twoFactor: { ...twoFactor, required: config.twoFactorPolicy === 'required' },
      ...(auth.kind === 'session' ? { csrfToken: auth.csrfToken, stepUpAt: auth.stepUpAt } : { tokenScopes: auth.scopes }),
    };
  });

  app.patch('/me', { config: { enrollment: true } }, async (req) => {
    const { language } = parseInput(mePatch, req.body);
    return services.users.setLanguage(requireAuth(req).user.id, language);
  });

  // Lets the web UI learn where it stands without provoking a 401 (which browsers log as an error).
  app.get('/auth/session', { config: { access: 'public' } }, async (req) => {
    const auth = req.auth;
    if (!auth || auth.kind !== 'session') return { state: 'anonymous' };
    return { state: auth.state === 'pending_2fa' ? 'pending_2fa' : 'signed_in' };
  });

  app.post('/me/password', { config: { ...session.config, stepUp: true } }, async (req, reply) => {
    const body = parseInput(passwordChange, req.body);
    const s = await services.auth.changeOwnPassword(requireSession(req), body, clientOf(req));
    setSessionCookie(reply, config, s, maxAge);
    return { csrfToken: s.csrfToken };
  });

  app.post('/me/2fa/enroll', { config: { ...session.config, stepUp: true } }, async (req) => {
    return services.twoFactor.beginEnrollment(requireSession(req).user.id);
  });

  app.post('/me/2fa/confirm', { config: { ...session.config, stepUp: true } }, async (req) => {
    const auth = requireSession(req);
    const { code } = parseInput(confirmBody, req.body);
    const recoveryCodes = await services.twoFactor.confirmEnrollment(auth.user.id, code);
    await services.auth.endOtherSessions(auth);
    return { enabled: true, recoveryCodes };
  });

  app.delete('/me/2fa', { config: { ...session.config, stepUp: true } }, async (req, reply) => {
    const auth = requireSession(req);
    if (config.twoFactorPolicy === 'required') {
      throw new AppError('TWO_FACTOR_REQUIRED_BY_POLICY', 'Two-factor sign-in is required on this instance; re-enrol instead', 409);
    }
    await services.twoFactor.disable(auth.user.id);
    return reply.status(204).send();
  });
};
