import { checkIn, columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * The embedded job queue: jobs, fenced leases, terminal-state history, worker heartbeats, paused
 * types and periodic schedules. System jobs (maintenance) have no user; user jobs cascade with the user.
 */
export const jobs: SchemaMigration = {
  name: '0005-jobs',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('jobs')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('type', t.text, (c) => c.notNull())
      .addColumn('payload', t.text, (c) => c.notNull())
      .addColumn('payload_version', t.integer, (c) => c.notNull())
      .addColumn('user_id', t.id, (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('lane', t.text, (c) => c.notNull().check(checkIn('lane', ['interactive', 'bulk'])))
      .addColumn('key', t.text)
      .addColumn('state', t.text, (c) => c.notNull().check(checkIn('state', ['queued', 'active', 'completed', 'failed', 'cancelled'])))
      .addColumn('cancel_requested', t.flag, (c) => c.notNull().defaultTo(0))
      .addColumn('attempts', t.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', t.integer, (c) => c.notNull())
      .addColumn('run_at', t.time, (c) => c.notNull())
      .addColumn('locked_by', t.text)
      .addColumn('lock_expires_at', t.time)
      .addColumn('progress', t.text)
      .addColumn('result', t.text)
      .addColumn('error_code', t.text)
      .addColumn('error_message', t.text)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .addColumn('started_at', t.time)
      .addColumn('finished_at', t.time)
      .execute();
    await db.schema.createIndex('jobs_user_created').on('jobs').columns(['user_id', 'created_at']).execute();
    // The per-user cap counts a user's running jobs on every claim.
    await db.schema.createIndex('jobs_user_state').on('jobs').columns(['user_id', 'state']).execute();
    // Not user data access: the claim scans due jobs across all users, and the scheduler asks "is one open for this key?".
    await db.schema.createIndex('jobs_state_run_at').on('jobs').columns(['state', 'run_at']).execute();
    await db.schema.createIndex('jobs_key_state').on('jobs').columns(['key', 'state']).execute();

    await db.schema
      .createTable('leases')
      .addColumn('key', t.text, (c) => c.primaryKey())
      .addColumn('token', t.bigint, (c) => c.notNull())
      .addColumn('holder', t.text)
      .addColumn('expires_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('job_runs')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('job_id', t.id, (c) => c.notNull())
      .addColumn('type', t.text, (c) => c.notNull())
      .addColumn('user_id', t.id, (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('lane', t.text, (c) => c.notNull())
      .addColumn('state', t.text, (c) => c.notNull().check(checkIn('state', ['completed', 'failed', 'cancelled'])))
      .addColumn('attempts', t.integer, (c) => c.notNull())
      .addColumn('error_code', t.text)
      .addColumn('error_message', t.text)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('started_at', t.time)
      .addColumn('finished_at', t.time, (c) => c.notNull())
      .addColumn('duration_ms', t.bigint)
      .execute();
    await db.schema.createIndex('job_runs_user_finished').on('job_runs').columns(['user_id', 'finished_at']).execute();
    await db.schema.createIndex('job_runs_finished').on('job_runs').column('finished_at').execute();

    await db.schema
      .createTable('workers')
      .addColumn('id', t.text, (c) => c.primaryKey())
      .addColumn('hostname', t.text, (c) => c.notNull())
      .addColumn('pid', t.integer, (c) => c.notNull())
      .addColumn('version', t.text, (c) => c.notNull())
      .addColumn('concurrency', t.integer, (c) => c.notNull())
      .addColumn('running', t.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('started_at', t.time, (c) => c.notNull())
      .addColumn('heartbeat_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('job_type_pauses')
      .addColumn('type', t.text, (c) => c.primaryKey())
      .addColumn('paused_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('job_schedules')
      .addColumn('key', t.text, (c) => c.primaryKey())
      .addColumn('type', t.text, (c) => c.notNull())
      .addColumn('next_run_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
  },
  async down(db) {
    for (const table of ['job_schedules', 'job_type_pauses', 'workers', 'job_runs', 'leases', 'jobs']) {
      await db.schema.dropTable(table).execute();
    }
  },
};

