import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { JobAdmin } from '../../jobs/admin.js';
import { requireAdmin, type ResolveUser } from '../acting-user.js';
import { parseRequest } from '../request-schema.js';

export interface AdminJobRoutesOptions {
  admin: JobAdmin;
  resolveUser: ResolveUser;
}

const uuid = z.string().regex(/^[0-9a-f-]{36}$/i);
const jobsQuery = z.object({
  state: z.enum(['queued', 'active', 'completed', 'failed', 'cancelled']).optional(),
  type: z.string().max(100).optional(),
  userId: uuid.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const runsQuery = jobsQuery.extend({ state: z.enum(['completed', 'failed', 'cancelled']).optional() });

/** Admins see and steer every user's jobs — metadata only, never payloads or results. */
export const adminJobRoutes: FastifyPluginAsync<AdminJobRoutesOptions> = async (app, { admin, resolveUser }) => {
  const adminOnly = { config: { access: 'admin' as const } };
  // Runs after the auth plugin's preHandler has resolved the caller.
  app.addHook('preHandler', async (req) => {
    await requireAdmin(req, resolveUser);
  });

  app.get('/api/admin/jobs', adminOnly, async (req) => ({ items: await admin.listJobs(parseRequest(jobsQuery, req.query)) }));
  app.get('/api/admin/job-runs', adminOnly, async (req) => ({ items: await admin.runs(parseRequest(runsQuery, req.query)) }));
  app.post<{ Params: { id: string } }>('/api/admin/jobs/:id/retry', adminOnly, async (req) => admin.retry(req.params.id));
  app.post<{ Params: { id: string } }>('/api/admin/jobs/:id/cancel', adminOnly, async (req) => admin.cancel(req.params.id));
  app.get('/api/admin/job-types', adminOnly, async () => ({ items: await admin.types() }));
  app.post<{ Params: { type: string } }>('/api/admin/job-types/:type/pause', adminOnly, async (req) => {
    await admin.setPaused(req.params.type, true);
    return { type: req.params.type, paused: true };
  });
  app.post<{ Params: { type: string } }>('/api/admin/job-types/:type/resume', adminOnly, async (req) => {
    await admin.setPaused(req.params.type, false);
    return { type: req.params.type, paused: false };
  });
  app.get('/api/admin/workers', adminOnly, async () => ({ items: await admin.workers() }));
};
