import type { Executor } from '../../db/schema.js';

export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  concurrency: number;
}

export async function registerWorker(ex: Executor, w: WorkerInfo, now: number): Promise<void> {
  await ex
    .insertInto('workers')
    .values({ ...w, running: 0, started_at: now, heartbeat_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now }))
    .execute();
}

export async function heartbeatWorker(ex: Executor, id: string, running: number, now: number): Promise<void> {
  await ex.updateTable('workers').set({ running, heartbeat_at: now }).where('id', '=', id).execute();
}

export async function removeWorker(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('workers').where('id', '=', id).execute();
}

export async function listWorkers(ex: Executor) {
  return ex.selectFrom('workers').selectAll().orderBy('started_at').execute();
}

/** Workers that died without saying goodbye (SIGKILL) stop being listed after a while. */
export async function pruneWorkers(ex: Executor, heartbeatBefore: number): Promise<number> {
  const res = await ex.deleteFrom('workers').where('heartbeat_at', '<', heartbeatBefore).executeTakeFirst();
  return Number(res.numDeletedRows);
}
