import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { createDatabase } from './database.js';
import { migrationStatus } from './migrate.js';

/**
 * Backups of the embedded (SQLite) database. A backup is one self-contained SQLite file: a
 * consistent snapshot taken with `VACUUM INTO` inside one read transaction, so it can be taken while
 * `serve` runs and writes. It holds what the database holds — mail stays sealed — and never the
 * master key, which must be backed up on its own (docs/security.md).
 */

export class BackupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface BackupReport {
  file: string;
  bytes: number;
  users: number;
  messages: number;
  migrations: number;
}

/** Opens a file as a SQLite database and checks it is a whole mailhelper database. */
function inspect(file: string): Omit<BackupReport, 'file' | 'bytes'> {
  let conn: SQLite.Database;
  try {
    conn = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError('BACKUP_UNREADABLE', `${file} cannot be opened as a database: ${(err as Error).message}`);
  }
  try {
    let integrity: string;
    try {
      integrity = (conn.pragma('integrity_check', { simple: true }) as string) ?? '';
    } catch (err) {
      throw new BackupError('BACKUP_UNREADABLE', `${file} is not a SQLite database: ${(err as Error).message}`);
    }
    if (integrity !== 'ok') throw new BackupError('BACKUP_DAMAGED', `${file} failed SQLite's integrity check: ${integrity}`);
    const has = (t: string) => conn.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(t) !== undefined;
    if (!has('schema_migrations') || !has('users') || !has('messages')) throw new BackupError('BACKUP_NOT_MAILHELPER', `${file} is not a mailhelper database`);
    const count = (t: string) => Number((conn.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n);
    return { users: count('users'), messages: count('messages'), migrations: count('schema_migrations') };
  } finally {
    conn.close();
  }
}

/** Writes a snapshot of `sourceFile` to `destFile` (which must not exist), checked before it is named. */
export function backupSqlite(sourceFile: string, destFile: string): BackupReport {
  if (!fs.existsSync(sourceFile)) throw new BackupError('BACKUP_NO_DATABASE', `there is no database at ${sourceFile}`);
  if (fs.existsSync(destFile)) throw new BackupError('BACKUP_EXISTS', `${destFile} already exists; choose a new file name`);
  fs.mkdirSync(path.dirname(destFile), { recursive: true });
  const partial = `${destFile}.partial-${process.pid}`;
  fs.rmSync(partial, { force: true });
  const source = new SQLite(sourceFile, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    source.prepare('VACUUM INTO ?').run(partial);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  } finally {
    source.close();
  }
  try {
    const report = inspect(partial);
    const fd = fs.openSync(partial, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(partial, destFile);
    return { file: destFile, bytes: fs.statSync(destFile).size, ...report };
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  }
}

/**
 * Puts a backup in place of `targetFile`. The caller holds the instance lock (no serve runs). The
 * backup is checked (integrity, a mailhelper schema this version knows) on a copy first; the
 * database it replaces is kept beside it as `<name>.before-restore-<time>`, never deleted.
 */
export async function restoreSqlite(backupFile: string, targetFile: string, now = new Date()): Promise<BackupReport & { previous: string | null }> {
  if (!fs.existsSync(backupFile)) throw new BackupError('BACKUP_NO_FILE', `${backupFile} does not exist`);
  inspect(backupFile);
  fs.mkdirSync(path.dirname(targetFile), { recursive: true });
  const staged = `${targetFile}.restoring-${process.pid}`;
  for (const f of [staged, `${staged}-wal`, `${staged}-shm`]) fs.rmSync(f, { force: true });
  fs.copyFileSync(backupFile, staged);
  try {
    const handle = createDatabase({ url: `sqlite:${staged}`, dialect: 'sqlite', sqlitePath: staged, poolSize: 1 });
    try {
      const status = await migrationStatus(handle.db, 'sqlite');
      if (status.unknown.length > 0) {
        throw new BackupError('BACKUP_TOO_NEW', `the backup was made by a newer mailhelper (migrations ${status.unknown.join(', ')}); restore it with that version`);
      }
    } finally {
      await handle.close();
    }
    let previous: string | null = null;
    if (fs.existsSync(targetFile)) {
      previous = `${targetFile}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(targetFile, previous);
      for (const ext of ['-wal', '-shm']) if (fs.existsSync(targetFile + ext)) fs.renameSync(targetFile + ext, previous + ext);
    }
    fs.renameSync(staged, targetFile);
    return { file: targetFile, bytes: fs.statSync(targetFile).size, ...inspect(targetFile), previous };
  } catch (err) {
    for (const f of [staged, `${staged}-wal`, `${staged}-shm`]) fs.rmSync(f, { force: true });
    throw err;
  }
}
