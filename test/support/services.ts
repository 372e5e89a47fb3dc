import net from 'node:net';

export const isCI = process.env.CI === 'true' || process.env.CI === '1';

/** TEST_DATABASE_URL points at a database we may create and drop databases from. */
export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function pgTestUrl(database: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${database}`;
  return u.toString();
}

export async function probeRedis(url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<string | null> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (err: string | null) => {
      socket.destroy();
      resolve(err);
    };
    socket.setTimeout(2000, () => done(`Redis at ${url} did not answer`));
    socket.on('error', (e) => done(`Redis at ${url} unavailable: ${e.message}`));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString().startsWith('+PONG') ? null : `Redis at ${url} answered ${d.toString().trim()}`));
  });
}

/**
 * What a suite does when a service it needs is missing: in CI it fails (never a silent skip);
 * elsewhere it skips with a one-line reason.
 */
export function serviceMissing(reason: string): 'fail' | 'skip' {
  if (isCI) return 'fail';
  if (!warned.has(reason)) {
    warned.add(reason);
    process.stderr.write(`[skip] ${reason}\n`);
  }
  return 'skip';
}
const warned = new Set<string>();
