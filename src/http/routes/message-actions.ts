import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ACTIONS, type MessageActions } from '../../services/writeback/message-actions.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';
import { anyObject, apiDoc } from '../api-docs.js';

const idParams = z.object({ id: z.string().uuid() });
const actionFields = {
  action: z.enum(ACTIONS),
  folderId: z.string().uuid().optional(),
  /** Delete permanently only with `confirm: true`. */
  confirm: z.boolean().optional(),
};
const actionBody = z.object(actionFields).strict();
const bulkBody = z.object({ ids: z.array(z.string().uuid()).min(1).max(500), ...actionFields }).strict();

const isLocal = (action: string) => action === 'done' || action === 'undone';

/**
 * POST /api/messages/:id/actions and the bulk POST /api/messages/actions. done/undone answer 200;
 * the others 202 with the account's write-back job (the local state has changed already).
 */
export const messageActionRoutes: FastifyPluginAsync<{ actions: MessageActions }> = async (app, { actions }) => {
  app.post('/messages/:id/actions', apiDoc({ summary: 'done/undone locally (200); read, flag, move, delete … via write-back (202 with the job)', params: idParams, body: actionBody, response: { 200: z.object({ ok: z.boolean() }), 202: z.object({ jobId: z.string() }) } }), async (req, reply) => {
    const { id } = parseInput(idParams, req.params);
    const body = parseInput(actionBody, req.body ?? {});
    const { jobId } = await actions.act(viewerOf(req).id, id, body);
    if (isLocal(body.action)) return { ok: true };
    return reply.status(202).send({ jobId });
  });

  app.post('/messages/actions', apiDoc({ summary: 'The same action on up to 500 messages', body: bulkBody, response: { 200: z.object({ ok: z.boolean(), count: z.number() }), 202: z.object({ jobs: z.array(anyObject), jobId: z.string().nullable() }) } }), async (req, reply) => {
    const body = parseInput(bulkBody, req.body ?? {});
    const { ids, ...input } = body;
    const { jobs } = await actions.actMany(viewerOf(req).id, ids, input);
    if (isLocal(body.action)) return { ok: true, count: new Set(ids).size };
    return reply.status(202).send({ jobs, jobId: jobs[0]?.jobId ?? null });
  });
};
