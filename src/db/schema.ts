import type { Kysely, Transaction } from 'kysely';

/**
 * Table types. Conventions (ARCHITECTURE.md "Data"): ids are UUIDv7 strings, times are epoch
 * milliseconds as numbers, booleans are 0/1 numbers, binary content is a Buffer — identical on both dialects.
 */
export interface Database {
  app_settings: AppSettingsTable;
  users: UsersTable;
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
