import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import type { CheckpointMessage, CheckpointWorkerData } from './checkpointer.js';

/**
 * Worker side of the checkpointer: its own connection to the database, one PASSIVE checkpoint
 * `delayMs` after the first commit it hears of (the commits in between ride along). A checkpoint
 * that fails throws here and ends the worker; the main thread then goes back to automatic ones.
 */
const { file, delayMs } = workerData as CheckpointWorkerData;
const conn = new SQLite(file, { fileMustExist: true });
let timer: NodeJS.Timeout | null = null;

function checkpoint(): void {
  timer = null;
  conn.pragma('wal_checkpoint(PASSIVE)');
  parentPort!.postMessage('checkpointed' satisfies CheckpointMessage);
}

parentPort!.on('message', (msg: CheckpointMessage) => {
  if (msg === 'committed') {
    timer ??= setTimeout(checkpoint, delayMs);
    return;
  }
  if (timer) clearTimeout(timer);
  conn.close();
  parentPort!.close();
});
