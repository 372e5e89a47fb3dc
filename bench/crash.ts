/**
 * The crash suite from the command line (issue 10.3; docs/sync.md "Crash suite"):
 *
 *   npm run crash-test -- [--seed N] [--quick] [--dialect sqlite|postgres|both] [--profile full|plain] [--count N]
 *
 * Full form: 3,000 generated messages, the five named crash points and ten random ones.
 * --quick: the CI form (400 messages, three random points). Prints the seed and every crash point;
 * the same seed repeats the mailbox and the random draws (a batch number is drawn from what is left
 * to sync, so it can shift when the folders come in another order). Exits 1 when the local copy differs.
 */
import type { Dialect } from '../src/db/schema.js';
import { runCrashSuite } from '../test/support/crash/suite.js';
import { startDovecot } from '../test/support/dovecot.js';
import { withDatabase } from './database.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const quick = args.includes('--quick');
const seed = Number(option('seed') ?? Math.floor(Math.random() * 1_000_000));
const dialectArg = option('dialect') ?? 'both';
const dialects: Dialect[] = dialectArg === 'both' ? ['sqlite', 'postgres'] : [dialectArg as Dialect];
const profile = option('profile') === 'plain' ? 'plain' : 'full';
const count = Number(option('count') ?? (quick ? 400 : 3000));

async function main() {
  console.log(`crash suite: seed ${seed} (repeat with --seed ${seed}), ${quick ? 'quick' : 'full'} form, Dovecot profile ${profile}`);
  const server = await startDovecot({ profile });
  let failed = false;
  try {
    for (const dialect of dialects) {
      const started = Date.now();
      const report = await withDatabase(dialect, (h, url) =>
        runCrashSuite({ dialect, databaseUrl: url, db: h.db, server, seed, messages: count, randomPoints: quick ? 3 : 10, batchSize: quick ? 20 : 50, log: (l) => console.log(l) }),
      );
      console.log(`  [${dialect}] ${report.problems.length === 0 ? 'PASS' : 'FAIL'} in ${((Date.now() - started) / 1000).toFixed(1)} s; the run after completion fetched ${report.fetchedAfterCompletion}`);
      if (report.problems.length > 0 || report.fetchedAfterCompletion !== 0) failed = true;
    }
  } finally {
    await server.stop();
  }
  if (failed) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
