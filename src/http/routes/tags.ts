import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { TagsService } from '../../services/tags.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';

const name = z
  .string()
  .transform((v) => v.normalize('NFC').trim().replace(/\s+/g, ' '))
  .pipe(z.string().min(1).max(64));
const colour = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
  .transform((v) => v.toLowerCase());
const createBody = z.object({ name, colour: colour.optional() }).strict();
const updateBody = z
  .object({ name: name.optional(), colour: colour.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give name or colour');
const idParams = z.object({ id: z.string().uuid() });
const messageTagParams = z.object({ id: z.string().uuid(), tagId: z.string().uuid() });
const assignBody = z.object({ tagId: z.string().uuid() }).strict();

/** Tags (API.md "Resources"): names unique per user regardless of letter case, and their assignment to messages. */
export const tagRoutes: FastifyPluginAsync<{ tags: TagsService }> = async (app, { tags }) => {
  app.get('/tags', async (req) => ({ items: await tags.list(viewerOf(req).id) }));

  app.post('/tags', async (req, reply) => {
    const body = parseInput(createBody, req.body);
    return reply.status(201).send(await tags.create(viewerOf(req).id, body));
  });

  app.get('/tags/:id', async (req) => tags.get(viewerOf(req).id, parseInput(idParams, req.params).id));

  app.patch('/tags/:id', async (req) => {
    const { id } = parseInput(idParams, req.params);
    return tags.update(viewerOf(req).id, id, parseInput(updateBody, req.body));
  });

  app.delete('/tags/:id', async (req, reply) => {
    await tags.remove(viewerOf(req).id, parseInput(idParams, req.params).id);
    return reply.status(204).send();
  });

  app.post('/messages/:id/tags', async (req) => {
    const { id } = parseInput(idParams, req.params);
    const { tagId } = parseInput(assignBody, req.body);
    return { tags: await tags.assign(viewerOf(req).id, id, tagId) };
  });

  app.delete('/messages/:id/tags/:tagId', async (req) => {
    const { id, tagId } = parseInput(messageTagParams, req.params);
    return { tags: await tags.unassign(viewerOf(req).id, id, tagId) };
  });
};
