import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, parseDatabaseUrl } from '../config/index.js';
import { assertIdle, copyDatabase, verifyCopy, type TableCheck } from '../db/copy.js';
import { createDatabase, type DatabaseHandle } from '../db/database.js';
import { acquireInstanceLock, type InstanceLock } from '../db/instance-lock.js';
import { createCrashPoints } from '../services/sync/crash-points.js';
import { configOrExit, fail, reportFatal } from './common.js';

interface Side {
  handle: DatabaseHandle;
  lock: InstanceLock | null;
}

/**
 * Opens one side of a copy. A SQLite file must exist when it is the source, and its folder's
 * instance lock is taken, so no serve can start on it while the copy runs.
 */
function parse(url: string, role: 'source' | 'target'): ReturnType<typeof parseDatabaseUrl> {
  try {
    return parseDatabaseUrl(url);
  } catch (err) {
    if (err instanceof ConfigError) fail(`--${role === 'source' ? 'from' : 'to'}: ${err.message.replace(/^DATABASE_URL: /, '')}`, 2);
    throw err;
  }
}

function open(url: string, role: 'source' | 'target'): Side {
  const parsed = parse(url, role);
  let lock: InstanceLock | null = null;
  if (parsed.sqlitePath) {
    if (role === 'source' && !fs.existsSync(parsed.sqlitePath)) fail(`--from: ${parsed.sqlitePath} does not exist`, 2);
    lock = acquireInstanceLock(path.dirname(parsed.sqlitePath));
  }
  try {
    return { handle: createDatabase({ ...parsed, poolSize: 4 }), lock };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

function printChecks(checks: TableCheck[]): boolean {
  const width = Math.max(...checks.map((c) => c.table.length));
  for (const c of checks) {
    const verdict = c.equal ? 'equal' : `DIFFERENT (source ${c.sourceRows} rows ${c.sourceChecksum.slice(0, 16)}, target ${c.targetRows} rows ${c.targetChecksum.slice(0, 16)})`;
    console.log(`${c.table.padEnd(width)}  ${String(c.sourceRows).padStart(9)} rows  ${c.sourceChecksum.slice(0, 16)}  ${verdict}`);
  }
  const bad = checks.filter((c) => !c.equal);
  const rows = checks.reduce((n, c) => n + c.sourceRows, 0);
  console.log(bad.length === 0 ? `verified: ${checks.length} tables, ${rows} rows, every count and checksum equal` : `NOT equal: ${bad.map((c) => c.table).join(', ')}`);
  return bad.length === 0;
}

async function withSides(from: string, to: string, fn: (source: DatabaseHandle, target: DatabaseHandle) => Promise<boolean>): Promise<void> {
  if (parse(from, 'source').url === parse(to, 'target').url) fail('--from and --to name the same database', 2);
  const source = open(from, 'source');
  let target: Side;
  try {
    target = open(to, 'target');
  } catch (err) {
    await source.handle.close();
    source.lock?.release();
    throw err;
  }
  let ok = false;
  try {
    ok = await fn(source.handle, target.handle);
  } finally {
    await Promise.all([source.handle.close(), target.handle.close()]);
    source.lock?.release();
    target.lock?.release();
  }
  if (!ok) fail('the databases differ (see the tables marked DIFFERENT)');
}

export function registerDb(program: Command): void {
  const db = program.command('db').description('copy a whole database between SQLite and PostgreSQL, and verify a copy');
  const urls = (c: Command) =>
    c
      .requiredOption('--from <url>', 'source database: sqlite:/path/mailhelper.db or postgres://…')
      .requiredOption('--to <url>', 'target database: sqlite:/path/new.db or postgres://… (empty)');

  urls(
    db
      .command('copy')
      .description(
        'copy every row into an empty database (migrated first if new), then compare row counts and checksums of every table; ' +
          'stop every serve and worker on both first',
      ),
  )
    .option('--resume', 'finish a copy that was interrupted (the target keeps its progress)')
    .option('--page-rows <n>', 'rows per transaction (binary tables: a 30th of it, at least 1)', '500')
    .action(async (opts: { from: string; to: string; resume?: boolean; pageRows: string }) => {
      const config = configOrExit({});
      // Test hook: MAILHELPER_CRASH_AT=after-copy-page#n kills the copy after its n-th committed page.
      const crash = createCrashPoints(config.crashAt, ['after-copy-page'] as const);
      const pageRows = Number(opts.pageRows);
      if (!Number.isInteger(pageRows) || pageRows < 1 || pageRows > 5000) fail('--page-rows: must be an integer from 1 to 5000', 2);
      try {
        await withSides(opts.from, opts.to, async (source, target) => {
          let current = '';
          const result = await copyDatabase(source, target, {
            resume: opts.resume,
            pageRows,
            blobPageRows: Math.max(1, Math.floor(pageRows / 30)),
            onPage: (table) => {
              if (table !== current) process.stderr.write(`copying ${(current = table)}\n`);
              crash('after-copy-page');
            },
          });
          console.log(`copied ${result.copiedRows} rows`);
          return printChecks(result.tables);
        });
      } catch (err) {
        reportFatal(err);
      }
    });

  urls(db.command('verify').description('compare row counts and checksums of every table of two databases (both idle)')).action(
    async (opts: { from: string; to: string }) => {
      try {
        await withSides(opts.from, opts.to, async (source, target) => {
          await assertIdle(source, 'source');
          await assertIdle(target, 'target');
          return printChecks(await verifyCopy(source, target));
        });
      } catch (err) {
        reportFatal(err);
      }
    },
  );
}
