import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import type { Services } from '../../services/index.js';
import { isLoopback } from '../../services/setup.js';
import { clearSessionCookie, requireAuth, setSessionCookie } from '../plugins/auth.js';
import { parseInput } from '../validation.js';

const credentials = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(2000) });
const setupBody = credentials.extend({ setupToken: z.string().max(200).optional() });
const passwordChange = z.object({ currentPassword: z.string().min(1).max(2000), newPassword: z.string().min(1).max(2000) });

/** First-run setup, sign-in, sign-out and the signed-in user. */
export const authRoutes: FastifyPluginAsync<{ services: Services; config: Config }> = async (app, { services, config }) => {
  const maxAge = services.auth.cookieMaxAgeSeconds();
  const client = (req: { ip: string; headers: Record<string, unknown> }) => ({
    ip: req.ip,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
  });

  app.get('/setup', { config: { access: 'public' } }, async (req) => ({
    needed: await services.setup.isNeeded(),
    tokenRequired: !isLoopback(req.ip),
  }));

  app.post('/setup', { config: { access: 'public' } }, async (req, reply) => {
    const body = parseInput(setupBody, req.body);
    await services.setup.run(body, req.ip);
    const session = await services.auth.login(body, client(req));
    setSessionCookie(reply, config, session, maxAge);
    return reply.status(201).send({ user: session.user, csrfToken: session.csrfToken });
  });

  app.post('/auth/login', { config: { access: 'public' } }, async (req, reply) => {
    const body = parseInput(credentials, req.body);
    const session = await services.auth.login(body, client(req), req.auth?.sessionHash);
    setSessionCookie(reply, config, session, maxAge);
    return { user: session.user, csrfToken: session.csrfToken };
  });

  app.post('/auth/logout', async (req, reply) => {
    await services.auth.logout(requireAuth(req), req.ip);
    clearSessionCookie(reply, config);
    return reply.status(204).send();
  });

  app.get('/me', async (req) => {
    const auth = requireAuth(req);
    return {
      ...auth.user,
      roles: [auth.user.role],
      twoFactor: { enabled: false },
      csrfToken: auth.csrfToken,
    };
  });

  app.post('/me/password', async (req, reply) => {
    const body = parseInput(passwordChange, req.body);
    const session = await services.auth.changeOwnPassword(requireAuth(req), body, client(req));
    setSessionCookie(reply, config, session, maxAge);
    return { csrfToken: session.csrfToken };
  });
};
