import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../services/index.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';

const createUser = z.object({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(2000),
  role: z.enum(['admin', 'user']).default('user'),
  language: z.enum(['de', 'en']).optional(),
});
const patchUser = z.object({ disabled: z.boolean().optional(), role: z.enum(['admin', 'user']).optional() }).strict();
const idParams = z.object({ id: z.string().uuid() });
const auditQuery = z.object({ before: z.string().uuid().optional(), limit: z.coerce.number().int().min(1).max(500).optional() });

/** User administration (admins) and the audit log (own events; all for admins). */
export const userRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const admin = { config: { access: 'admin' as const } };

  app.get('/admin/users', admin, async (req) => ({ items: await services.users.list(viewerOf(req)) }));

  app.post('/admin/users', admin, async (req, reply) => {
    const body = parseInput(createUser, req.body);
    return reply.status(201).send(await services.users.create(body, viewerOf(req), req.ip));
  });

  app.patch('/admin/users/:id', admin, async (req) => {
    const { id } = parseInput(idParams, req.params);
    const body = parseInput(patchUser, req.body);
    const viewer = viewerOf(req);
    let user = await services.users.get(id, viewer);
    if (body.disabled !== undefined) user = await services.users.setDisabled(id, body.disabled, viewer, req.ip);
    if (body.role !== undefined) user = await services.users.setRole(id, body.role, viewer, req.ip);
    return user;
  });

  app.delete('/admin/users/:id', { config: { access: 'admin' as const, stepUp: true } }, async (req, reply) => {
    const { id } = parseInput(idParams, req.params);
    await services.users.delete(id, viewerOf(req), req.ip);
    return reply.status(204).send();
  });

  app.get('/audit', async (req) => {
    const q = parseInput(auditQuery, req.query);
    return { items: await services.audit.list(viewerOf(req), q) };
  });

  app.get('/admin/audit', admin, async (req) => {
    const q = parseInput(auditQuery, req.query);
    return { items: await services.audit.list(viewerOf(req), { ...q, all: true }) };
  });
};
