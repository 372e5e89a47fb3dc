import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { NotFoundFallback } from '../web-ui.js';

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

/** The one place errors become HTTP: every 4xx/5xx has the shape { error: { code, message, details } }. */
export function registerErrorHandling(app: FastifyInstance, options: { notFound?: () => NotFoundFallback | null } = {}): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.status).send(errorBody(err.code, err.message, err.details));
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      return reply
        .status(400)
        .send(errorBody('VALIDATION_FAILED', 'The request is invalid', { issues: fe.validation.map((v) => ({ path: v.instancePath, message: v.message })) }));
    }
    const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
    if (status < 500) {
      return reply.status(status).send(errorBody(fe.code ?? 'BAD_REQUEST', fe.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send(errorBody('INTERNAL', 'Internal server error', { requestId: req.id }));
  });

  app.setNotFoundHandler((req, reply) => {
    const fallback = options.notFound?.()?.(req, reply);
    if (fallback) return fallback;
    return reply.status(404).send(errorBody('NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0]}`));
  });
}
