import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { JobQueue, JobStatus } from '../../jobs/types.js';
import { requireUser, type ResolveUser } from '../acting-user.js';
import { apiDoc } from '../api-docs.js';
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

const jobStates = ['queued', 'active', 'completed', 'failed', 'cancelled'] as const;
/** The job as jobView answers it (documentation). */
const jobBody = z.object({
  id: z.string(),
  type: z.string(),
  state: z.enum(jobStates),
  lane: z.string(),
  progress: z.record(z.string(), z.number()).nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  cancelRequested: z.boolean(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
});
const jobParams = z.object({ id: z.string() });

const listQuery = z.object({
  state: z.enum(jobStates).optional(),
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
  app.get('/api/jobs', apiDoc({ summary: 'The user’s own jobs, newest first; cursor-paged', query: listQuery, response: { 200: z.object({ items: z.array(jobBody), nextCursor: z.string().nullable() }) } }), async (req) => {
    const user = await requireUser(req, resolveUser);
    const q = parseRequest(listQuery, req.query);
    const jobs = await queue.list(user.id, { state: q.state, limit: q.limit, after: q.cursor ? decodeCursor(q.cursor) : undefined });
    const last = jobs.length === q.limit ? jobs.at(-1) : undefined;
    return { items: jobs.map(jobView), nextCursor: last ? Buffer.from(`${last.createdAt}/${last.id}`).toString('base64url') : null };
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id', apiDoc({ summary: 'One of the user’s jobs', params: jobParams, response: { 200: jobBody } }), async (req) => {
    const user = await requireUser(req, resolveUser);
    return jobView(await queue.status(req.params.id, user.id));
  });

  app.post<{ Params: { id: string } }>('/api/jobs/:id/cancel', apiDoc({ summary: 'Cancels one of the user’s jobs (a running one stops at its next check)', params: jobParams, response: { 200: jobBody } }), async (req) => {
    const user = await requireUser(req, resolveUser);
    return jobView(await queue.cancel(req.params.id, user.id));
  });
};
