import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { pgModule } from '../../db/pg-module.js';
import type { Database } from '../../db/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { UserEvent } from '../types.js';

/** What processes tell each other: work is waiting, stop a job, or an event for a user's tabs. */
export type JobSignal = { kind: 'wake' } | { kind: 'cancel'; jobId: string } | { kind: 'event'; event: UserEvent };

export interface JobSignals {
  publish(signal: JobSignal): Promise<void>;
  subscribe(listener: (signal: JobSignal) => void): () => void;
  /** Throws while signals cannot be delivered (the readiness check). */
  check(): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = 'mailhelper_jobs';

export function fanOut() {
  const emitter = new EventEmitter();
  // One listener per open event stream; the count is bounded by connections, not a leak.
  emitter.setMaxListeners(0);
  return {
    emit: (signal: JobSignal) => emitter.emit('signal', signal),
    subscribe(listener: (signal: JobSignal) => void) {
      const safe = (s: JobSignal) => {
        try {
          listener(s);
        } catch {
          // A broken subscriber must not stop delivery to the others.
        }
      };
      emitter.on('signal', safe);
      return () => void emitter.off('signal', safe);
    },
  };
}

/** SQLite: one process, so signals are an in-memory emitter. */
export function createMemorySignals(): JobSignals {
  const out = fanOut();
  return {
    async publish(signal) {
      queueMicrotask(() => out.emit(signal));
    },
    subscribe: out.subscribe,
    async check() {},
    async close() {},
  };
}

/**
 * PostgreSQL: NOTIFY through the pool, LISTEN on one dedicated connection per process, so every
 * web and worker process sees every signal. The listener reconnects after a drop; missed wakes are
 * covered by the workers' poll, missed events by the snapshot a reconnecting browser receives.
 */
export function createPgSignals(options: { url: string; db: Kysely<Database>; logger: Logger; reconnectMs?: number }): JobSignals {
  const out = fanOut();
  let client: pg.Client | null = null;
  let connected = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let lastError = 'not connected yet';

  const connect = async () => {
    const c = new (pgModule().Client)({ connectionString: options.url, application_name: 'mailhelper-listen' });
    client = c;
    const lost = (reason: string) => {
      if (client !== c) return;
      connected = false;
      client = null;
      lastError = reason;
      c.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(), options.reconnectMs ?? 1000);
    };
    c.on('error', (err) => lost(err.message));
    c.on('end', () => lost('connection ended'));
    c.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        out.emit(JSON.parse(msg.payload) as JobSignal);
      } catch {
        options.logger.warn('ignored a malformed job signal');
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      if (client === c) connected = true;
    } catch (err) {
      lost((err as Error).message);
    }
  };
  const started = connect();

  return {
    async publish(signal) {
      await sql`select pg_notify(${CHANNEL}, ${JSON.stringify(signal)})`.execute(options.db);
    },
    subscribe: out.subscribe,
    async check() {
      await started;
      if (!connected) throw new Error(`job signal listener disconnected: ${lastError}`);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await started;
      const c = client;
      client = null;
      connected = false;
      await c?.end().catch(() => {});
    },
  };
}
