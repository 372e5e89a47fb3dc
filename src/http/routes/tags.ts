import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { TagsService } from '../../services/tags.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';
import { anyObject, apiDoc, listOf } from '../api-docs.js';

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
const tagsOf = z.object({ tags: z.array(anyObject) });

/** Tags (API.md "Resources"): names unique per user regardless of letter case, and their assignment to messages. */
export const tagRoutes: FastifyPluginAsync<{ tags: TagsService }> = async (app, { tags }) => {
  app.get('/tags', apiDoc({ summary: 'The user’s tags', response: { 200: listOf } }), async (req) => ({ items: await tags.list(viewerOf(req).id) }));

  app.post('/tags', apiDoc({ summary: 'Creates a tag (names unique regardless of case)', body: createBody, response: { 201: anyObject } }), async (req, reply) => {
    const body = parseInput(createBody, req.body);
    return reply.status(201).send(await tags.create(viewerOf(req).id, body));
  });

  app.get('/tags/:id', apiDoc({ summary: 'One tag', params: idParams, response: { 200: anyObject } }), async (req) => tags.get(viewerOf(req).id, parseInput(idParams, req.params).id));

  app.patch('/tags/:id', apiDoc({ summary: 'Renames or recolours a tag', params: idParams, body: updateBody, response: { 200: anyObject } }), async (req) => {
    const { id } = parseInput(idParams, req.params);
    return tags.update(viewerOf(req).id, id, parseInput(updateBody, req.body));
  });

  app.delete('/tags/:id', apiDoc({ summary: 'Deletes a tag (and its assignments)', params: idParams, response: { 204: 'Deleted' } }), async (req, reply) => {
    await tags.remove(viewerOf(req).id, parseInput(idParams, req.params).id);
    return reply.status(204).send();
  });

  app.post('/messages/:id/tags', apiDoc({ summary: 'Assigns a tag to a message', params: idParams, body: assignBody, response: { 200: tagsOf } }), async (req) => {
    const { id } = parseInput(idParams, req.params);
    const { tagId } = parseInput(assignBody, req.body);
    return { tags: await tags.assign(viewerOf(req).id, id, tagId) };
  });

  app.delete('/messages/:id/tags/:tagId', apiDoc({ summary: 'Removes a tag from a message', params: messageTagParams, response: { 200: tagsOf } }), async (req) => {
    const { id, tagId } = parseInput(messageTagParams, req.params);
    return { tags: await tags.unassign(viewerOf(req).id, id, tagId) };
  });
};
