import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';

const DOCS_PREFIX = '/api/docs';

/**
 * What /api/docs shows for a route: the zod schemas its handler already validates with (converted
 * to JSON Schema for the document only — Fastify never validates or serialises with them, so the
 * one error shape and the handlers' own parsing stay as they are), and its answers.
 */
export interface RouteDocs {
  summary?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Status → the body's schema, or a description alone (204, downloads). */
  response?: Record<number, z.ZodType | string>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Schemas for the OpenAPI document (see RouteDocs); documentation only. */
    openapi?: RouteDocs;
  }
}

/** Route options that document a route: `app.get(url, apiDoc({ query }), handler)`. */
export function apiDoc(docs: RouteDocs): { config: { openapi: RouteDocs } } {
  return { config: { openapi: docs } };
}

/** Response bodies described loosely: an object whose fields API.md lists. */
export const anyObject = z.looseObject({});
/** `{ items: [...] }`. */
export const listOf = z.object({ items: z.array(anyObject) });
/** `{ items: [...], nextCursor }`: a cursor page. */
export const pageOf = z.object({ items: z.array(anyObject), nextCursor: z.string().nullable() });

/** The one error shape (src/http/plugins/errors.ts). */
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }) });

const jsonSchema = (schema: z.ZodType): Record<string, unknown> =>
  // Input side: what a client sends (before transforms); anything zod cannot express becomes "any".
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;

const outputSchema = (schema: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;

/** The Fastify-style schema @fastify/swagger turns into parameters, request body and responses. */
export function docsSchema(docs: RouteDocs): Record<string, unknown> {
  const response: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(docs.response ?? {})) {
    response[status] = typeof r === 'string' ? { description: r, type: 'null' } : { description: 'OK', ...outputSchema(r) };
  }
  response['4XX'] = { description: 'The one error shape (code, message, details)', ...outputSchema(errorBody) };
  return {
    ...(docs.summary ? { summary: docs.summary } : {}),
    ...(docs.params ? { params: jsonSchema(docs.params) } : {}),
    ...(docs.query ? { querystring: jsonSchema(docs.query) } : {}),
    ...(docs.body ? { body: jsonSchema(docs.body) } : {}),
    response,
  };
}

/** Called from the app's onRoute hook: the docs pages need no sign-in (the auth plugin reads this). */
export function markDocsPublic(route: Pick<RouteOptions, 'url' | 'config'>): void {
  if (route.url.startsWith(DOCS_PREFIX)) route.config = { ...route.config, access: 'public' };
}

/**
 * OpenAPI at /api/docs (JSON at /api/docs/json). Registered before the routes, so every route appears,
 * including those without a schema. The docs are public: the routes are in the source code anyway.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'KI-Mail-Helper API', version: '0.1.0', description: 'The public HTTP contract; see docs/API.md and docs/api.md.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'mh_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const docs = route.config?.openapi;
      return { schema: docs ? { ...schema, ...docsSchema(docs) } : schema, url };
    },
  });
  // BaseLayout: no top bar. Its logo is an SVG with an inline <style>, which the app's CSP
  // (style-src 'self') blocks; everything else swagger-ui draws complies, so the docs need no
  // weaker policy of their own (test/e2e/api-docs.test.ts loads them in Chromium).
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { docExpansion: 'list', deepLinking: false, layout: 'BaseLayout' } });
}
