import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SenderRuleKind } from '../../repositories/sender-rules.js';
import { DOMAIN, normaliseRuleValue, VIP_PATTERN, type SenderRule, type SenderRulesService } from '../../services/sender-rules.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';

const vipBody = z
  .object({ pattern: z.string().max(254).transform(normaliseRuleValue).pipe(z.string().regex(VIP_PATTERN, 'an address, a pattern such as *@firma.ch, or a domain')) })
  .strict();
const domainBody = z
  .object({ domain: z.string().max(253).transform(normaliseRuleValue).pipe(z.string().regex(DOMAIN, 'a domain such as firma.ch')) })
  .strict();
const idParams = z.object({ id: z.string().uuid() });

const asVip = (r: SenderRule) => ({ id: r.id, pattern: r.value, createdAt: r.createdAt });
const asDomain = (r: SenderRule) => ({ id: r.id, domain: r.value, createdAt: r.createdAt });

/**
 * The analyser's per-user signals: VIP senders (`/api/settings/vip-senders`) and own domains
 * (`/api/settings/own-domains`). A change re-queues the user's messages for analysis.
 */
export const senderSettingsRoutes: FastifyPluginAsync<{ senders: SenderRulesService }> = async (app, { senders }) => {
  const lists: Array<{ path: string; kind: SenderRuleKind; show: (r: SenderRule) => unknown; value: (body: unknown) => string }> = [
    { path: '/settings/vip-senders', kind: 'vip', show: asVip, value: (b) => parseInput(vipBody, b).pattern },
    { path: '/settings/own-domains', kind: 'own_domain', show: asDomain, value: (b) => parseInput(domainBody, b).domain },
  ];
  for (const list of lists) {
    app.get(list.path, async (req) => ({ items: (await senders.list(viewerOf(req).id, list.kind)).map(list.show) }));
    app.post(list.path, async (req, reply) => reply.status(201).send(list.show(await senders.add(viewerOf(req).id, list.kind, list.value(req.body)))));
    app.delete(`${list.path}/:id`, async (req, reply) => {
      await senders.remove(viewerOf(req).id, list.kind, parseInput(idParams, req.params).id);
      return reply.status(204).send();
    });
  }
};
