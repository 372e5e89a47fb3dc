import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { PROVIDER_TYPES } from '../../ai/llm/client.js';
import type { AiProvidersService } from '../../services/analysis/llm-providers.js';
import type { Reanalysis } from '../../services/analysis/llm-reanalyse.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';

export interface AiRoutesOptions {
  providers: AiProvidersService;
  reanalysis: Reanalysis;
}

const idParams = z.object({ id: z.string().uuid() });
const budget = z.number().int().min(1000).max(1_000_000_000).nullable();
const providerFields = {
  name: z.string().trim().min(1).max(60),
  type: z.enum(PROVIDER_TYPES),
  baseUrl: z.string().trim().url().max(500),
  apiKey: z.string().min(1).max(500).nullable(),
  models: z.array(z.string().trim().min(1).max(200)).min(1).max(50),
  locality: z.enum(['local', 'cloud']).nullable(),
  enabled: z.boolean(),
  timeoutMs: z.number().int().min(1000).max(600_000),
  concurrency: z.number().int().min(1).max(32),
  dailyTokenBudget: budget,
  userDailyTokenBudget: budget,
};
const createBody = z
  .object(providerFields)
  .partial({ apiKey: true, locality: true, enabled: true, timeoutMs: true, concurrency: true, dailyTokenBudget: true, userDailyTokenBudget: true })
  .strict();
const patchBody = z
  .object(providerFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field');
const settingsBody = z.object({ providerId: z.string().uuid().nullable(), model: z.string().trim().min(1).max(200).nullable().optional() }).strict();
const reanalyseBody = z.object({ confirm: z.object({ messages: z.number().int().min(0) }).strict().optional() }).strict();

/**
 * LLM providers: admins configure them (the API key is write-only: never echoed), users choose one
 * and a model for their analysis (or none), and start a re-analysis after seeing its estimate.
 */
export const aiRoutes: FastifyPluginAsync<AiRoutesOptions> = async (app, { providers, reanalysis }) => {
  const admin = { config: { access: 'admin' as const } };
  app.get('/admin/ai-providers', admin, async () => ({ items: await providers.list() }));
  app.post('/admin/ai-providers', admin, async (req, reply) => reply.status(201).send(await providers.create(parseInput(createBody, req.body))));
  app.get('/admin/ai-providers/:id', admin, async (req) => providers.get(parseInput(idParams, req.params).id));
  app.patch('/admin/ai-providers/:id', admin, async (req) => providers.update(parseInput(idParams, req.params).id, parseInput(patchBody, req.body)));
  app.delete('/admin/ai-providers/:id', admin, async (req, reply) => {
    await providers.remove(parseInput(idParams, req.params).id);
    return reply.status(204).send();
  });

  app.get('/settings/ai', async (req) => providers.settingsOf(viewerOf(req).id));
  app.put('/settings/ai', async (req) => {
    const body = parseInput(settingsBody, req.body);
    return providers.choose(viewerOf(req).id, body.providerId, body.model ?? null);
  });

  /** Without `confirm`: the estimate only. With `confirm.messages` equal to the estimate's count: starts. */
  app.post('/analysis/reanalyse', async (req, reply) => {
    const body = parseInput(reanalyseBody, req.body);
    const userId = viewerOf(req).id;
    if (!body.confirm) return { confirmed: false, estimate: await reanalysis.estimate(userId) };
    return reply.status(202).send({ confirmed: true, ...(await reanalysis.confirm(userId, body.confirm.messages)) });
  });
};
