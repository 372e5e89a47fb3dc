import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import type { Services } from '../../services/index.js';
import { SCOPES } from '../../services/tokens.js';
import { requireSession, setSessionCookie, viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';
import { clientOf } from './auth.js';

const idParams = z.object({ id: z.string().uuid() });
const createToken = z.object({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(SCOPES)).min(1).default(['read', 'write']),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
const createInvitation = z.object({ role: z.enum(['admin', 'user']).default('user'), expiresInHours: z.number().int().min(1).max(24 * 30).optional() });
const tokenBody = z.object({ token: z.string().min(10).max(200) });
const acceptBody = tokenBody.extend({ username: z.string().min(1).max(200), password: z.string().min(1).max(2000), language: z.enum(['de', 'en']).optional() });

/** Personal API tokens (sessions only) and invitations. */
export const accessRoutes: FastifyPluginAsync<{ services: Services; config: Config }> = async (app, { services, config }) => {
  app.get('/tokens', { config: { signIn: true } }, async (req) => ({ items: await services.tokens.list(requireSession(req).user.id) }));

  app.post('/tokens', { config: { signIn: true, stepUp: true } }, async (req, reply) => {
    const body = parseInput(createToken, req.body);
    return reply.status(201).send(await services.tokens.create(requireSession(req).user.id, body));
  });

  app.delete('/tokens/:id', { config: { signIn: true } }, async (req, reply) => {
    const { id } = parseInput(idParams, req.params);
    await services.tokens.revoke(requireSession(req).user.id, id);
    return reply.status(204).send();
  });

  const admin = { config: { access: 'admin' as const } };
  app.get('/admin/invitations', admin, async (req) => ({ items: await services.invitations.list(viewerOf(req)) }));
  app.post('/admin/invitations', admin, async (req, reply) => {
    const body = parseInput(createInvitation, req.body);
    return reply.status(201).send(await services.invitations.create(viewerOf(req), body));
  });
  app.delete('/admin/invitations/:id', admin, async (req, reply) => {
    const { id } = parseInput(idParams, req.params);
    await services.invitations.revoke(viewerOf(req), id);
    return reply.status(204).send();
  });

  // The invitee is not signed in; the token comes in the body so it stays out of URLs and logs.
  app.post('/invitations/inspect', { config: { access: 'public' } }, async (req) => {
    const { token } = parseInput(tokenBody, req.body);
    return services.invitations.inspect(token, req.ip);
  });
  app.post('/invitations/accept', { config: { access: 'public' } }, async (req, reply) => {
    const { token, ...input } = parseInput(acceptBody, req.body);
    await services.invitations.accept(token, input, req.ip);
    const s = await services.auth.login(input, clientOf(req));
    setSessionCookie(reply, config, s, services.auth.cookieMaxAgeSeconds());
    return reply.status(201).send({ user: s.user, csrfToken: s.csrfToken });
  });
};
