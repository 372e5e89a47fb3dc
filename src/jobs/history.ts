import type { Executor } from '../db/schema.js';
import { pruneFinished } from './embedded/job-repository.js';
import { pruneWorkers } from './embedded/worker-repository.js';

export const HISTORY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const WORKER_ROW_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Deletes job history and finished jobs past retention, and workers silent for a day. */
export async function pruneJobHistory(ex: Executor, now: number, retentionMs = HISTORY_RETENTION_MS) {
  const { runs, jobs } = await pruneFinished(ex, now - retentionMs);
  const workers = await pruneWorkers(ex, now - WORKER_ROW_RETENTION_MS);
  return { runs, jobs, workers };
}
