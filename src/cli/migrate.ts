import type { Command } from 'commander';
import { createDatabase } from '../db/database.js';
import { acquireInstanceLock } from '../db/instance-lock.js';
import { migrateDown, migrateUp, migrationStatus } from '../db/migrate.js';
import { configOrExit, reportFatal } from './common.js';

export function registerMigrate(program: Command): void {
  const migrate = program
    .command('migrate')
    .description('apply, undo or list database schema migrations')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)');

  const withDb = async (dataDir: string | undefined, write: boolean, fn: (h: ReturnType<typeof createDatabase>) => Promise<void>) => {
    const config = configOrExit({ dataDir });
    // On SQLite a running serve owns the schema; changing it underneath would break that process.
    const lock = write && config.database.dialect === 'sqlite' ? acquireInstanceLock(config.dataDir) : null;
    const handle = createDatabase(config.database);
    try {
      await fn(handle);
    } finally {
      await handle.close();
      lock?.release();
    }
  };

  migrate
    .command('up')
    .description('apply every pending migration')
    .action(async (_o, cmd: Command) => {
      try {
        await withDb(cmd.parent?.opts().dataDir, true, async ({ db, dialect }) => {
          const applied = await migrateUp(db, dialect);
          console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
        });
      } catch (err) {
        reportFatal(err);
      }
    });

  migrate
    .command('down')
    .description('undo the most recent migration (take a backup first)')
    .action(async (_o, cmd: Command) => {
      try {
        await withDb(cmd.parent?.opts().dataDir, true, async ({ db, dialect }) => {
          const undone = await migrateDown(db, dialect);
          console.log(undone.length ? `undone: ${undone.join(', ')}` : 'nothing to undo');
        });
      } catch (err) {
        reportFatal(err);
      }
    });

  migrate
    .command('status')
    .description('list applied and pending migrations')
    .action(async (_o, cmd: Command) => {
      try {
        await withDb(cmd.parent?.opts().dataDir, false, async ({ db, dialect }) => {
          const s = await migrationStatus(db, dialect);
          for (const name of s.applied) console.log(`applied  ${name}`);
          for (const name of s.pending) console.log(`pending  ${name}`);
          for (const name of s.unknown) console.log(`unknown  ${name} (from a newer version)`);
        });
      } catch (err) {
        reportFatal(err);
      }
    });
}
