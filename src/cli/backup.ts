import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { backupSqlite, restoreSqlite, type BackupReport } from '../db/backup.js';
import { acquireInstanceLock } from '../db/instance-lock.js';
import { configOrExit, fail, reportFatal } from './common.js';

const POSTGRES = 'PostgreSQL is backed up with its own tools (pg_dump -Fc / pg_restore), or with `mailhelper db copy` into a SQLite file while every process is stopped (docs/backup.md)';

function sqliteFile(config: Config): string {
  if (config.database.dialect !== 'sqlite' || !config.database.sqlitePath) fail(POSTGRES, 2);
  return config.database.sqlitePath;
}

function describe(r: BackupReport): string {
  return `${r.users} users, ${r.messages} messages, schema ${r.migrations} migrations, ${(r.bytes / 1024 / 1024).toFixed(1)} MB, integrity ok`;
}

const keyReminder = (config: Config) =>
  `the master key is not in the backup: keep a copy of ${config.keys.file ?? (config.keys.command ? 'what MASTER_KEY_COMMAND returns' : 'the key file (`mailhelper doctor` shows where)')} apart from it`;

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('write a consistent snapshot of the SQLite database to a new file (works while serve runs)')
    .requiredOption('--to <file>', 'the backup file to create (must not exist)')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)')
    .action((opts: { to: string; dataDir?: string }) => {
      const config = configOrExit({ dataDir: opts.dataDir });
      try {
        const report = backupSqlite(sqliteFile(config), path.resolve(opts.to));
        console.log(`backup written to ${report.file}: ${describe(report)}`);
        console.log(keyReminder(config));
      } catch (err) {
        reportFatal(err);
      }
    });

  program
    .command('restore')
    .description('replace the SQLite database with a backup (serve must be stopped; the old database is kept beside it)')
    .requiredOption('--from <file>', 'the backup file')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)')
    .action(async (opts: { from: string; dataDir?: string }) => {
      const config = configOrExit({ dataDir: opts.dataDir });
      const file = sqliteFile(config);
      try {
        const lock = acquireInstanceLock(config.dataDir);
        try {
          const report = await restoreSqlite(path.resolve(opts.from), file);
          console.log(`restored ${report.file}: ${describe(report)}`);
          if (report.previous) console.log(`the database it replaced is kept as ${report.previous}`);
          console.log('start `mailhelper serve` with the master key ring the backup was made with');
        } finally {
          lock.release();
        }
      } catch (err) {
        reportFatal(err);
      }
    });
}
