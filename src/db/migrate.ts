import { Migrator, type Kysely, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Dialect } from './schema.js';
import { migrations as allMigrations } from './migrations/index.js';
import type { SchemaMigration } from './migrations/types.js';

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied in the database but unknown to this build: the schema is newer than the code. */
  unknown: string[];
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(
    message: string,
    readonly migration: string | null,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

function createMigrator(db: Kysely<any>, dialect: Dialect, migrations: SchemaMigration[]): Migrator {
  const provider: MigrationProvider = {
    async getMigrations() {
      return Object.fromEntries(
        migrations.map((m) => [m.name, { up: (d: Kysely<any>) => m.up(d, dialect), down: (d: Kysely<any>) => m.down(d, dialect) }]),
      );
    },
  };
  return new Migrator({
    db,
    provider,
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed?.migrationName ?? '(setup)'} failed: ${reason}`, failed?.migrationName ?? null, result.error);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function migrateUp(db: Kysely<any>, dialect: Dialect, migrations = allMigrations): Promise<string[]> {
  await refuseUnknown(db, dialect, migrations);
  return unwrap(await createMigrator(db, dialect, migrations).migrateToLatest());
}

export async function migrateDown(db: Kysely<any>, dialect: Dialect, migrations = allMigrations): Promise<string[]> {
  await refuseUnknown(db, dialect, migrations);
  return unwrap(await createMigrator(db, dialect, migrations).migrateDown());
}

export async function migrationStatus(db: Kysely<any>, dialect: Dialect, migrations = allMigrations): Promise<MigrationStatus> {
  const infos = await createMigrator(db, dialect, migrations).getMigrations();
  const known = new Set(migrations.map((m) => m.name));
  const applied = infos.filter((i) => i.executedAt).map((i) => i.name);
  const pending = infos.filter((i) => !i.executedAt).map((i) => i.name);
  const appliedInDb = await appliedNames(db);
  const unknown = appliedInDb.filter((n) => !known.has(n));
  return { applied, pending, unknown };
}

async function appliedNames(db: Kysely<any>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === 'schema_migrations')) return [];
  const rows = await db.selectFrom('schema_migrations').select('name').orderBy('name').execute();
  return rows.map((r: { name: string }) => r.name);
}

async function refuseUnknown(db: Kysely<any>, dialect: Dialect, migrations: SchemaMigration[]): Promise<void> {
  const { unknown } = await migrationStatus(db, dialect, migrations);
  if (unknown.length > 0) {
    throw new MigrationError(
      `the database has migrations this version does not know (${unknown.join(', ')}); run a newer mailhelper`,
      null,
    );
  }
}

/** For web/worker: they never migrate, and refuse a schema that is behind or ahead of the code. */
export async function assertSchemaCurrent(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const status = await migrationStatus(db, dialect);
  if (status.unknown.length > 0) {
    throw new MigrationError(`the database schema is newer than this version (unknown: ${status.unknown.join(', ')})`, null);
  }
  if (status.pending.length > 0) {
    throw new MigrationError(
      `the database schema is behind (${status.pending.length} pending, first ${status.pending[0]}); run \`mailhelper migrate up\``,
      status.pending[0] ?? null,
    );
  }
}
