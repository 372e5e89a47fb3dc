import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { openJobIdsForKey } from './embedded/job-repository.js';
import type { JobQueue } from './types.js';

/** Cancels every queued or running job of one owner under a key; what a removed account needs. */
export interface KeyedJobCanceller {
  cancelKey(key: string, userId: string): Promise<number>;
}

export function createKeyedCanceller(deps: { db: Kysely<Database>; queue: Pick<JobQueue, 'cancel'> }): KeyedJobCanceller {
  return {
    async cancelKey(key, userId) {
      let cancelled = 0;
      for (const id of await openJobIdsForKey(deps.db, key, userId)) {
        try {
          await deps.queue.cancel(id, userId);
          cancelled++;
        } catch {
          // It finished between the listing and the cancel: nothing left to stop.
        }
      }
      return cancelled;
    },
  };
}
