import type { Kysely, Transaction } from 'kysely';

/**
 * Table types. Conventions (ARCHITECTURE.md "Data"): ids are UUIDv7 strings, times are epoch
 * milliseconds as numbers, booleans are 0/1 numbers, binary content is a Buffer — identical on both dialects.
 */
export interface Database {
  app_settings: AppSettingsTable;
  users: UsersTable;
  jobs: JobsTable;
  leases: LeasesTable;
  job_runs: JobRunsTable;
  workers: WorkersTable;
  job_type_pauses: JobTypePausesTable;
  job_schedules: JobSchedulesTable;
}

export interface AppSettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

/** What repositories take: the database or an open transaction. No network I/O inside a transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface UsersTable {
  id: string;
  username: string;
  role: 'admin' | 'user';
  password_hash: string;
  is_disabled: number;
  language: string;
  created_at: number;
  updated_at: number;
  password_changed_at: number;
}

export interface JobsTable {
  id: string;
  type: string;
  /** JSON; ids and counts only, never secrets or mail content. */
  payload: string;
  payload_version: number;
  user_id: string | null;
  lane: 'interactive' | 'bulk';
  key: string | null;
  state: 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';
  cancel_requested: number;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  lock_expires_at: number | null;
  progress: string | null;
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface LeasesTable {
  key: string;
  /** Fencing token: raised on every acquisition, never reset. */
  token: number;
  holder: string | null;
  expires_at: number;
}

export interface JobRunsTable {
  id: string;
  job_id: string;
  type: string;
  user_id: string | null;
  lane: string;
  state: 'completed' | 'failed' | 'cancelled';
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number;
  duration_ms: number | null;
}

export interface WorkersTable {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  concurrency: number;
  running: number;
  started_at: number;
  heartbeat_at: number;
}

export interface JobTypePausesTable {
  type: string;
  paused_at: number;
}

export interface JobSchedulesTable {
  key: string;
  type: string;
  next_run_at: number;
  updated_at: number;
}
