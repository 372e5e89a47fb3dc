import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';

const DOCS_PREFIX = '/api/docs';

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
      info: { title: 'KI-Mail-Helper API', version: '0.1.0', description: 'The public HTTP contract; see docs/API.md.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'mh_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { docExpansion: 'list', deepLinking: false } });
}
