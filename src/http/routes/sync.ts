import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SyncRequests } from '../../services/sync/sync-requests.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';

const idParams = z.object({ id: z.string().uuid() });

/** POST /api/accounts/:id/sync → 202 { jobId, status }; progress arrives on /api/events. */
export const syncRoutes: FastifyPluginAsync<{ sync: SyncRequests }> = async (app, { sync }) => {
  app.post('/accounts/:id/sync', async (req, reply) => {
    const { id } = parseInput(idParams, req.params);
    return reply.status(202).send(await sync.syncNow(viewerOf(req).id, id));
  });
};
