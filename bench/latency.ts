/**
 * Steady-state bench (PRODUCT.md success criteria): how long until 50 new messages are synced and
 * analysed (built-in analyser), p95 over rounds, and how much memory a worker holds meanwhile.
 *
 *   npm run bench:latency -- [--rounds 20] [--initial 500] [--batch 50] [--dialect sqlite|postgres|both]
 *
 * A private Dovecot (full profile) over IMAPS; the account is synced once (not measured), then each
 * round delivers `batch` new generated messages and times the product's account sync plus
 * the analysis of what it stored, in a process holding the `worker` command's modules and started
 * with the environment and node flags of `npm start`. Baseline, same round: a bare imapflow connect,
 * login and fetch of the same new messages' full sources. Job scheduling is not included (the sync
 * job starts within the scheduler's poll, and analysis runs right after it in the same worker).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';
import type { Dialect } from '../src/db/schema.js';
import { analysePending } from '../src/services/analysis/analyse-pending.js';
import { startDovecot, type Dovecot } from '../test/support/dovecot.js';
import { checkpointWorkerFromEnv, withDatabase } from './database.js';
import { maxRssMb, startSettings, wireProduct } from './product.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1]!;
};
const rounds = Math.max(2, Number(option('rounds', '20')));
const initial = Number(option('initial', '500'));
const batch = Number(option('batch', '50'));
const dialectArg = option('dialect', 'both');
const dialects: Dialect[] = dialectArg === 'both' ? ['sqlite', 'postgres'] : [dialectArg as Dialect];
const TARGETS = { p95Seconds: 2, workerRssMb: 150 };

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const rssMb = () => process.memoryUsage().rss / 1048576;

const connectBare = async (server: Dovecot, user: { name: string; password: string }) => {
  const client = new ImapFlow({ host: server.host, port: server.tlsPort, secure: true, tls: { ca: [server.certPem] }, auth: { user: user.name, pass: user.password }, logger: false });
  await client.connect();
  return client;
};

/** Each folder's next UID (all selectable folders; the product syncs all but Trash and Junk, and new mail lands in neither). */
async function nextUids(server: Dovecot, user: { name: string; password: string }): Promise<Map<string, number>> {
  const client = await connectBare(server, user);
  try {
    const list = await client.list({ statusQuery: { uidNext: true } });
    return new Map(list.filter((f) => !f.flags.has('\\Noselect')).map((f) => [f.path, f.status?.uidNext ?? 1]));
  } finally {
    await client.logout();
  }
}

/** The baseline: connect, log in and fetch the full source of every message newer than `before`, knowing which folders grew. */
async function bareFetch(server: Dovecot, user: { name: string; password: string }, before: Map<string, number>, after: Map<string, number>): Promise<{ seconds: number; count: number }> {
  const t = performance.now();
  const client = await connectBare(server, user);
  let count = 0;
  for (const [folder, from] of before) {
    if ((after.get(folder) ?? from) <= from) continue;
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      for await (const m of client.fetch(`${from}:*`, { uid: true, source: true }, { uid: true })) if (m.uid >= from && m.source) count++;
    } finally {
      lock.release();
    }
  }
  await client.logout();
  return { seconds: (performance.now() - t) / 1000, count };
}

async function measure(server: Dovecot, dialect: Dialect): Promise<void> {
  const user = server.createUser(`latency-${dialect}`, 'latency-imap-password');
  server.fillGenerated(user, { seed: 5, count: initial });
  await withDatabase(
    dialect,
    async (h, url) => {
      const imap = { host: server.host, port: server.tlsPort, user: user.name, password: user.password, certPem: server.certPem };
      const product = await wireProduct(h, url, imap, undefined, 'worker');
      const deps = { db: h.db, crypto: product.crypto, now: Date.now };
      try {
        const first = await product.run();
        await analysePending(deps, product.userId, product.account.id);
        const rssAfterInitial = rssMb();
        const times: number[] = [];
        const bare: number[] = [];
        let steadyRss = 0;
        for (let i = 0; i < rounds; i++) {
          const before = await nextUids(server, user);
          server.fillGenerated(user, { seed: 5, count: batch, start: initial + i * batch });
          const t = performance.now();
          const r = await product.run();
          const a = await analysePending(deps, product.userId, product.account.id);
          const tSync = performance.now();
          times.push((performance.now() - t) / 1000);
          if (process.env.BENCH_TRACE) process.stderr.write(`    [trace] round ${i + 1}: sync ${(r.seconds * 1000).toFixed(0)} ms, analysis ${(tSync - t - r.seconds * 1000).toFixed(0)} ms\n`);
          if (r.r.stored !== batch || a.analysed !== batch) throw new Error(`round ${i + 1}: stored ${r.r.stored}, analysed ${a.analysed}, expected ${batch} each`);
          const b = await bareFetch(server, user, before, await nextUids(server, user));
          if (b.count !== batch) throw new Error(`round ${i + 1}: the bare fetch saw ${b.count} new messages, expected ${batch}`);
          bare.push(b.seconds);
          steadyRss = Math.max(steadyRss, rssMb());
        }
        const p50 = quantile(times, 0.5);
        const p95 = quantile(times, 0.95);
        const bareP95 = quantile(bare, 0.95);
        const f = (x: number) => `${(x * 1000).toFixed(0)} ms`;
        console.log(`[${dialect}] initial sync of ${first.r.stored} messages (not measured); ${rounds} rounds of ${batch} new messages each`);
        console.log(`  sync + analysis of ${batch} new: p50 ${f(p50)}, p95 ${f(p95)}, max ${f(Math.max(...times))}   (target p95 < ${TARGETS.p95Seconds} s on loopback: ${p95 < TARGETS.p95Seconds ? 'met' : 'MISSED'})`);
        console.log(`  bare imapflow connect + fetch of the same ${batch}: p50 ${f(quantile(bare, 0.5))}, p95 ${f(bareP95)}; product p95 / bare p95 = ${(p95 / bareP95).toFixed(1)}x`);
        console.log(
          `  memory: RSS ${rssAfterInitial.toFixed(0)} MB after the initial sync, at most ${steadyRss.toFixed(0)} MB between rounds; process peak ${maxRssMb().toFixed(0)} MB (includes the initial sync and the bench's own mail generator)` +
            `   (target: a worker under ${TARGETS.workerRssMb} MB under steady load: ${steadyRss < TARGETS.workerRssMb ? 'met' : 'MISSED'})`,
        );
      } finally {
        await product.accounts.close();
        await product.parsePool.close();
      }
    },
    { backgroundCheckpoints: checkpointWorkerFromEnv() },
  );
}

async function main() {
  if (!process.env.BENCH_LATENCY_CHILD) {
    // Run as `npm start` runs the product: its environment variables and node flags.
    const start = startSettings();
    const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(start.env).map(([k, v]) => [k, process.env[k] ?? v])), BENCH_LATENCY_CHILD: '1' };
    console.log(`environment: ${Object.entries(start.env).map(([k, v]) => `${k}=${env[k] ?? v}`).join(' ')} node ${start.nodeFlags.join(' ')}, as \`npm start\` starts the product`);
    const child = spawn(process.execPath, [...start.nodeFlags, fileURLToPath(import.meta.url), ...args], { env, stdio: 'inherit' });
    process.exitCode = await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    return;
  }
  const server = await startDovecot({ profile: 'full' });
  try {
    console.log(`server: Dovecot (full profile) on ${server.host}, IMAPS; ${initial} generated messages (INBOX and the folders their kinds go to) before the first round`);
    for (const d of dialects) await measure(server, d);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
