import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { JobQueue, JobStatus } from '../../jobs/types.js';
import { requireUser, type ResolveUser } from '../acting-user.js';
import { parseRequest } from '../request-schema.js';

export interface JobRoutesOptions {
  queue: Pick<JobQueue, 'status' | 'list' | 'cancel'>;
  resolveUser: ResolveUser;
}

/** The public shape of a job (API.md): no owner, no payload. */
export function jobView(s: JobStatus) {
  return {
    id: s.id,
    type: s.type,
    state: s.state,
    lane: s.lane,
    progress: s.progress,
    result: s.result,
    error: s.error,
    attempts: s.attempts,
    maxAttempts: s.maxAttempts,
    cancelRequested: s.cancelRequested,
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
  };
}

const listQuery = z.object({
  state: z.enum(['queued', 'active', 'completed', 'failed', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString().split('/');
  if (!createdAt || !id || !/^\d+$/.test(createdAt)) throw new AppError('VALIDATION_FAILED', 'The cursor is invalid', 400);
  return { createdAt: Number(createdAt), id };
}

/** A user's own jobs. Another user's job answers 404, exactly like a missing one. */
export const jobRoutes: FastifyPluginAsync<JobRoutesOptions> = async (app, { queue, resolveUser }) => {
  app.get('/api/jobs', async (req) => {
    const user = await requireUser(req, resolveUser);
    const q = parseRequest(listQuery, req.query);
    const jobs = await queue.list(user.id, { state: q.state, limit: q.limit, after: q.cursor ? decodeCursor(q.cursor) : undefined });
    const last = jobs.length === q.limit ? jobs.at(-1) : undefined;
    return { items: jobs.map(jobView), nextCursor: last ? Buffer.from(`${last.createdAt}/${last.id}`).toString('base64url') : null };
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id', async (req) => {
    const user = await requireUser(req, resolveUser);
    return jobView(await queue.status(req.params.id, user.id));
  });

  app.post<{ Params: { id: string } }>('/api/jobs/:id/cancel', async (req) => {
    const user = await requireUser(req, resolveUser);
    return jobView(await queue.cancel(req.params.id, user.id));
  });
};
