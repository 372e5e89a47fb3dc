import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { JobDefinition } from '../registry.js';
import type { ScheduleEntry } from '../scheduler.js';
import type { AccountSync } from '../../services/sync/account-sync.js';
import { accountSyncJob } from './account-sync.js';
import { analysisRunJob } from './analysis-run.js';
import { writeBackJob } from './write-back.js';
import type { WriteBack } from '../../services/writeback/write-back.js';
import type { Crypto } from '../../crypto/crypto.js';
import { PRUNE_HISTORY, pruneHistoryJob } from './prune-history.js';
import type { LlmRefiner } from '../../services/analysis/llm-refine.js';
import type { JobQueue } from '../types.js';
import { RETRY_DEFERRED_ANALYSIS, retryDeferredAnalysisJob } from './retry-deferred-analysis.js';

export interface HandlerDeps {
  db: Kysely<Database>;
  /** Absent in processes built without mail access (tests of the queue itself). */
  accountSync?: AccountSync;
  /** Absent likewise; with it, `analysis.run` is registered. */
  crypto?: Pick<Crypto, 'forUser'>;
  /** The LLM stage of `analysis.run`; absent: built-in analysis only. */
  refine?: LlmRefiner;
  /** Absent likewise; with it, `mail.write-back` is registered. */
  writeBack?: WriteBack;
  /** Runs after each successful account sync (re-queues write-back left pending). */
  afterSync?: (userId: string, accountId: string) => Promise<void>;
  /** Cached LLM answers older than this many days are pruned daily (default 30). */
  llmCacheRetentionDays?: number;
  /** The queue the handlers enqueue follow-up jobs into (bound once it exists); with it and `crypto`, `analysis.retry-deferred` is registered. */
  queue?: () => Pick<JobQueue, 'enqueue'>;
}

/** Every job type this version runs. New handlers are added here (one file each). */
export function createJobDefinitions(deps: HandlerDeps): JobDefinition[] {
  return [
    pruneHistoryJob(deps),
    ...(deps.accountSync ? [accountSyncJob({ accountSync: deps.accountSync, afterSync: deps.afterSync })] : []),
    ...(deps.writeBack ? [writeBackJob({ writeBack: deps.writeBack })] : []),
    ...(deps.crypto ? [analysisRunJob({ db: deps.db, crypto: deps.crypto, now: Date.now, refine: deps.refine })] : []),
    ...(deps.crypto && deps.queue ? [retryDeferredAnalysisJob({ db: deps.db, queue: deps.queue })] : []),
  ];
}

/** Periodic system jobs (those whose handler is registered); per-account sync schedules are added by the sync service. */
export const systemSchedules: ScheduleEntry[] = [
  { key: 'system.prune-history', type: PRUNE_HISTORY, payload: {}, userId: null, intervalMs: 24 * 60 * 60_000 },
  { key: 'system.retry-deferred-analysis', type: RETRY_DEFERRED_ANALYSIS, payload: {}, userId: null, intervalMs: 24 * 60 * 60_000 },
];
