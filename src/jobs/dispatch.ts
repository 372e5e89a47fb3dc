import type { JobRow } from './embedded/job-repository.js';
import type { JobSignals } from './embedded/signals.js';

/**
 * How workers learn that jobs are due. The database row stays the record either way; the embedded
 * back-end wakes every worker (they claim from the table), BullMQ rings one doorbell per row.
 */
/** What ringing needs of a row. */
export type DueJob = Pick<JobRow, 'id' | 'type' | 'lane' | 'run_at'>;

export interface JobDispatch {
  /** Rows that were just queued, requeued or retried (due now or at their `run_at`). */
  ring(rows: readonly DueJob[]): Promise<void>;
}

/** Embedded: a wake signal when something is due now; delayed rows are found by the workers' poll. */
export function createSignalDispatch(signals: Pick<JobSignals, 'publish'>, now: () => number = Date.now): JobDispatch {
  return {
    async ring(rows) {
      const at = now();
      if (rows.some((r) => Number(r.run_at) <= at)) await signals.publish({ kind: 'wake' });
    },
  };
}
