import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` puts the web UI; the same path from src/http (tests) and dist/http (runtime). */
export const defaultWebRoot = path.resolve(import.meta.dirname, '../../dist/web');

/** Paths the UI never claims: the API and the operational endpoints answer their own 404s. */
const SERVER_PATHS = /^\/(api|livez|readyz|metrics)(\/|$)/;

const NO_CACHE = 'no-cache';
/** Vite puts a content hash in every file name under assets/, so a file there never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export type NotFoundFallback = (req: FastifyRequest, reply: FastifyReply) => FastifyReply | null;

/**
 * Serves the built single-page app at `/`. Returns the fallback the 404 handler uses so client-side
 * routes (`/settings`, `/invite`, …) load index.html, or null when no UI was built.
 */
export async function registerWebUi(app: FastifyInstance, root: string): Promise<NotFoundFallback | null> {
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.log.warn({ root }, 'web UI not built; run `npm run build` to serve it');
    return null;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, found at start: an unknown path falls through to the 404 handler.
    wildcard: false,
    cacheControl: false,
    setHeaders: (reply, file) => {
      const rel = path.relative(root, file);
      reply.header('cache-control', rel.startsWith(`assets${path.sep}`) ? IMMUTABLE : NO_CACHE);
    },
  });
  return (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return null;
    const pathname = req.url.split('?')[0] ?? '/';
    // A missing asset (with a file extension) is a real 404, not the app.
    if (SERVER_PATHS.test(pathname) || /\.[^/]*$/.test(pathname)) return null;
    return reply.header('cache-control', NO_CACHE).type('text/html; charset=utf-8').sendFile('index.html');
  };
}
