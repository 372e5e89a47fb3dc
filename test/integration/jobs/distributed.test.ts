import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { newId } from '../../../src/db/ids.js';
import { cliPath } from '../../support/build.js';
import { cliEnv, freePort, runCli, startServer, type RunningServer } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { waitUntil } from '../../support/job-harness.js';
import { serviceMissing } from '../../support/services.js';
import { openEventStream } from '../../support/sse.js';
import { describeWithDovecot } from '../../support/testbed.js';

const IMAP_PASSWORD = 'distributed-imap-password';

/**
 * Mode 3 as an association would run it: PostgreSQL + Redis, `mailhelper web` and `mailhelper
 * worker` as separate processes. A user's "sync now" goes into the web process, runs in the worker
 * (doorbell in Redis), and its progress reaches the user's event stream on the web process (Redis
 * pub/sub); the mail is then there to read.
 */
describeWithDovecot('distributed mode (web + worker, PostgreSQL + Redis)', 'full', (bed) => {
  const template = inject('pgTemplate');
  const redis = inject('redis');
  const missing = 'error' in template ? template.error : 'error' in redis ? redis.error : null;
  const state = missing ? serviceMissing(missing) : 'ok';
  let database: TestDatabase | undefined;
  let web: RunningServer | undefined;
  let worker: { pid: number; exited: Promise<number | null>; kill(): void; output(): string } | undefined;
  let env: Record<string, string>;
  let token: string;

  beforeAll(async () => {
    if (state !== 'ok') return;
    database = await createTestDatabase('postgres');
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: (redis as { url: string }).url,
      REDIS_PREFIX: `test-${newId().slice(-12)}`,
      NODE_ENV: 'development',
      MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
      ALLOW_PRIVATE_MAIL_HOSTS: '1',
    };
    const added = await runCli(['users', 'add', '--username', 'carol', '--password-stdin'], env, 'carol-long-passphrase');
    expect(added.code, added.stderr).toBe(0);
    // stdout also carries the log line that warns about MASTER_KEY (development only).
    token = /^mh_\S+$/m.exec((await runCli(['tokens', 'create', '--user', 'carol', '--name', 'e2e'], env)).stdout)?.[0] ?? '';
    expect(token).toMatch(/^mh_/);

    const port = await freePort();
    web = await startServer(['web', '--port', String(port)], env, port);
    const child = spawn(process.execPath, [cliPath, 'worker'], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    worker = { pid: child.pid!, exited: new Promise((resolve) => child.on('exit', resolve)), kill: () => child.kill('SIGTERM'), output: () => out };
    const db = database.db;
    await waitUntil('the worker to register', async () => db.selectFrom('workers').select('id').where('pid', '=', child.pid!).executeTakeFirst());
  }, 60_000);

  afterAll(async () => {
    if (worker) {
      worker.kill();
      expect(await worker.exited).toBe(0);
    }
    if (web) expect(await web.stop()).toBe(0);
    if (env?.REDIS_PREFIX) {
      const client = new Redis((redis as { url: string }).url);
      const keys = await client.keys(`${env.REDIS_PREFIX}:*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    }
    await database?.close();
  });

  it.skipIf(state === 'skip')("a user's sync runs on the worker, its progress streams from the web process, and the mail is there", async () => {
    if (state === 'fail') throw new Error(missing!);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${web!.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    const mailbox = bed.server.createUser('carol', IMAP_PASSWORD);
    bed.server.fillGenerated(mailbox, { seed: 12, count: 25 });

    const events = openEventStream(`${web!.url}/api/events`, { authorization: `Bearer ${token}` });
    await events.ready;
    await waitUntil('the snapshot', async () => events.events[0]?.event === 'snapshot');

    const created = await api('/api/accounts', {
      method: 'POST',
      body: JSON.stringify({
        name: 'Association mail',
        imap: { host: bed.server.host, port: bed.server.port, security: 'none', user: mailbox.name, password: IMAP_PASSWORD },
        initialWindow: { sinceDays: 36_500 },
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const account = (await created.json()) as { id: string };
    const sync = await api(`/api/accounts/${account.id}/sync`, { method: 'POST', body: '{}' });
    expect(sync.status).toBe(202);
    const { jobId } = (await sync.json()) as { jobId: string; status: string };

    await waitUntil('the sync job to complete', async () => ((await (await api(`/api/jobs/${jobId}`)).json()) as { state: string }).state === 'completed', 30_000);
    await waitUntil('its completion on the event stream', async () => events.events.some((e) => e.event === 'job.completed' && e.data.jobId === jobId));
    const mine = events.events.filter((e) => e.data?.jobId === jobId).map((e) => e.event);
    expect(mine).toContain('job.progress');
    expect(mine.at(-1)).toBe('job.completed');
    events.close();

    const messages = (await (await api(`/api/messages?account=${account.id}&limit=200`)).json()) as { items: unknown[] };
    expect(messages.items.length).toBeGreaterThanOrEqual(20);
    // It ran on the worker process, not in web (which runs no jobs), and went through Redis.
    const run = await database!.db.selectFrom('job_runs').select(['state', 'type']).where('job_id', '=', jobId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ state: 'completed', type: 'account.sync' });
    // The only job worker is the worker process: web registers none.
    expect((await database!.db.selectFrom('workers').select('pid').execute()).map((w) => Number(w.pid))).toEqual([worker!.pid]);
    const client = new Redis((redis as { url: string }).url);
    try {
      expect(await client.keys(`${env.REDIS_PREFIX}:jobs:*`)).not.toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
