import { appSettings } from './0001-app-settings.js';
import { users } from './0002-users.js';
import { jobs } from './0005-jobs.js';
import type { SchemaMigration } from './types.js';

/** Every migration, in order. Names sort in this order; add new ones at the end. */
export const migrations: SchemaMigration[] = [appSettings, users, jobs];
