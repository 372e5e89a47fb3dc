import Fastify from 'fastify';
import { afterAll, expect, it } from 'vitest';
import { createMemorySignals } from '../../../src/jobs/embedded/signals.js';
import type { JobQueue, JobStatus } from '../../../src/jobs/types.js';
import { registerErrorHandling } from '../../../src/http/plugins/errors.js';
import { eventRoutes } from '../../../src/http/routes/events.js';
import { openEventStream } from '../../support/sse.js';
import { waitUntil } from '../../support/job-harness.js';

const signals = createMemorySignals();
const app = Fastify();
afterAll(() => app.close());

it('an event published while the snapshot is being read arrives after the snapshot, not lost', async () => {
  // The snapshot read is where the race lives: a job finishes right then.
  const queue: Pick<JobQueue, 'list'> = {
    async list(userId, options) {
      if (options?.state === 'active') {
        await signals.publish({ kind: 'event', event: { type: 'job.completed', userId, jobId: 'j1', jobType: 'demo', result: null } });
        await new Promise((r) => setTimeout(r, 20));
        return [{ id: 'j1', type: 'demo', state: 'active', progress: null } as JobStatus];
      }
      return [];
    },
  };
  registerErrorHandling(app);
  await app.register(eventRoutes, { signals, queue, resolveUser: async () => ({ id: 'u1', role: 'user' }), heartbeatMs: 60_000 });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const stream = openEventStream(`${url}/api/events`, {});
  await stream.ready;
  await waitUntil('two events', async () => stream.events.length >= 2);
  expect(stream.events).toEqual([
    { event: 'snapshot', data: { jobs: [{ id: 'j1', type: 'demo', state: 'active', progress: null }] } },
    { event: 'job.completed', data: { jobId: 'j1', type: 'demo', result: null } },
  ]);
  stream.close();
});
