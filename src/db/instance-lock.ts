import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';

export class InstanceLockedError extends Error {
  readonly code = 'INSTANCE_LOCKED';
  constructor(dataDir: string, holder: string | null) {
    super(
      `another mailhelper serve is already running on ${dataDir}${holder ? ` (pid ${holder})` : ''}; ` +
        'SQLite mode allows exactly one process. Stop it first, or use PostgreSQL for several processes.',
    );
    this.name = 'InstanceLockedError';
  }
}

export interface InstanceLock {
  release(): void;
}

/**
 * Holds an exclusive SQLite lock on DATA_DIR/serve.lock for the life of the process. The OS drops
 * the lock when the process dies, however it dies, so there is never a stale lock to clean up.
 */
export function acquireInstanceLock(dataDir: string): InstanceLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, 'serve.lock');
  const pidFile = path.join(dataDir, 'serve.pid');
  const conn = new SQLite(lockFile, { timeout: 0 });
  try {
    conn.pragma('locking_mode = EXCLUSIVE');
    conn.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    conn.exec('BEGIN EXCLUSIVE');
    conn.exec('DELETE FROM holder');
    conn.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    conn.exec('COMMIT');
  } catch (err) {
    conn.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new InstanceLockedError(dataDir, readPid(pidFile));
    }
    throw err;
  }
  fs.writeFileSync(pidFile, String(process.pid));
  return {
    release() {
      if (!conn.open) return;
      conn.close();
      if (readPid(pidFile) === String(process.pid)) fs.rmSync(pidFile, { force: true });
    },
  };
}

function readPid(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}
