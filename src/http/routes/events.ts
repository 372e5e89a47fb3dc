import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { JobSignals } from '../../jobs/embedded/signals.js';
import type { JobQueue, UserEvent } from '../../jobs/types.js';
import { requireUser, type ResolveUser } from '../acting-user.js';

export interface EventRoutesOptions {
  signals: Pick<JobSignals, 'subscribe'>;
  queue: Pick<JobQueue, 'list'>;
  resolveUser: ResolveUser;
  /** Comment lines keep proxies from closing a quiet stream (default 15 s). */
  heartbeatMs?: number;
}

/** What the browser receives: the event without its routing field. */
function eventData(event: UserEvent): Record<string, unknown> {
  if (!('jobType' in event)) {
    // Mail events (messages.changed, counts.changed) carry ids only.
    const { userId: _userId, ...rest } = event;
    return rest;
  }
  const { type: _type, userId: _userId, jobType, ...rest } = event;
  return { ...rest, type: jobType };
}

/**
 * One SSE stream per tab. It subscribes before it reads the snapshot, so an event that happens in
 * between is delivered (after the snapshot) rather than lost; the client treats events as idempotent.
 */
export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, options) => {
  const open = new Set<ServerResponse>();
  // app.close() waits for open responses; streams end first so shutdown is not held up.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get('/api/events', async (req, reply) => {
    const user = await requireUser(req, options.resolveUser);
    const res = reply.raw;
    let seq = 0;
    let live = false;
    const pending: UserEvent[] = [];
    const write = (event: string, data: unknown) => {
      if (!res.writableEnded) res.write(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const unsubscribe = options.signals.subscribe((signal) => {
      if (signal.kind !== 'event' || signal.event.userId !== user.id) return;
      if (live) write(signal.event.type, eventData(signal.event));
      else pending.push(signal.event);
    });

    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
    });
    res.write('retry: 3000\n\n');
    open.add(res);
    const heartbeat = setInterval(() => {
      if (!res.writableEnded) res.write(': heartbeat\n\n');
    }, options.heartbeatMs ?? 15_000);
    const cleanup = () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    };
    res.on('close', cleanup);

    try {
      const [active, queued] = await Promise.all([
        options.queue.list(user.id, { state: 'active', limit: 100 }),
        options.queue.list(user.id, { state: 'queued', limit: 100 }),
      ]);
      write('snapshot', { jobs: [...active, ...queued].map((j) => ({ id: j.id, type: j.type, state: j.state, progress: j.progress })) });
    } catch (err) {
      req.log.error({ err }, 'event stream snapshot failed');
      res.end();
      return;
    }
    live = true;
    for (const event of pending.splice(0)) write(event.type, eventData(event));
  });
};
