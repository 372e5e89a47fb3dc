import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import { compiledWorkerUrl } from '../compiled-worker.js';

/**
 * WAL checkpoints off the event loop, for a long-running process on embedded SQLite.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages: it
 * copies the WAL into the database file and fsyncs both, holding the event loop 40–80 ms every
 * ~16 MB written (on the sync bench ≈ 0.9 s of a 6 s first sync, while IMAP data waited). Here the
 * connection turns automatic checkpoints off and a worker thread with its own connection runs a
 * PASSIVE checkpoint shortly after each burst of commits; a PASSIVE checkpoint never blocks the
 * writer, and the writer never waits for it. Crash safety is SQLite's own either way: a checkpoint
 * only copies committed frames, and the WAL keeps them until it has.
 *
 * If the worker cannot start or a checkpoint fails, the connection goes back to automatic
 * checkpoints (so the WAL cannot grow without bound) and `onError` hears of it.
 */
export interface Checkpointer {
  /** After a write outside a transaction or a COMMIT: a checkpoint follows within `delayMs`. */
  committed(): void;
  /** Stops the worker and closes its connection (the caller closes its own afterwards). */
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** How long after the first commit of a burst the checkpoint runs (default 100 ms). */
  delayMs?: number;
  /** The worker failed; automatic checkpoints are back on. */
  onError?: (err: Error) => void;
  /** Called after each checkpoint the worker ran (tests). */
  onCheckpoint?: () => void;
}

export interface CheckpointWorkerData {
  file: string;
  delayMs: number;
}

export type CheckpointMessage = 'committed' | 'close' | 'checkpointed';

/** SQLite's default: checkpoint inside the COMMIT that takes the WAL past this many pages. */
const AUTOMATIC_CHECKPOINT_PAGES = 1000;

/**
 * A WAL file keeps the size it once reached; without the automatic checkpoint it can grow past the
 * usual ~16 MB while a checkpoint lags a burst of writes. Restarted WALs are cut back to this.
 */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

const WORKER_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 };

export function startCheckpointer(conn: SQLite.Database, file: string, options: CheckpointerOptions = {}): Checkpointer {
  const workerData: CheckpointWorkerData = { file, delayMs: options.delayMs ?? 100 };
  const worker = new Worker(compiledWorkerUrl('./checkpoint-worker.js', import.meta.url), { workerData, resourceLimits: WORKER_LIMITS });
  worker.unref();
  conn.pragma('wal_autocheckpoint = 0');
  conn.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  // False once the worker failed or was told to close: no more messages, and its exit is expected.
  let running = true;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const fallBack = (err: Error) => {
    if (!running) return;
    running = false;
    if (conn.open) conn.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
    options.onError?.(err);
  };
  // better-sqlite3's errors cross the thread boundary as a bare { code }.
  worker.on('error', (err: Partial<Error> & { code?: string }) => fallBack(new Error(`the checkpoint worker failed: ${err.code ?? err.message ?? 'unknown error'}`)));
  worker.on('exit', (code) => fallBack(new Error(`the checkpoint worker stopped (exit ${code})`)));
  worker.on('message', (msg: CheckpointMessage) => {
    if (msg === 'checkpointed') options.onCheckpoint?.();
  });

  return {
    committed() {
      if (running) worker.postMessage('committed' satisfies CheckpointMessage);
    },
    async close() {
      if (running) {
        running = false;
        // Held while it closes: otherwise an event loop with nothing else to do ends before it has.
        worker.ref();
        worker.postMessage('close' satisfies CheckpointMessage);
      }
      await exited;
    },
  };
}
