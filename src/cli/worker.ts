import type { Command } from 'commander';
import { cliLogger, configOrExit, exitOnSignals, reportFatal } from './common.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run background jobs only (PostgreSQL only; start as many as you like, on any machine)')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)')
    .addHelpText(
      'after',
      '\nRefuses a SQLite database and a schema it does not know; run `mailhelper migrate up` first.' +
        '\nOn SIGTERM running jobs get SHUTDOWN_GRACE_SECONDS to finish; the rest go back to the queue for another worker.',
    )
    .action(async (opts: { dataDir?: string }) => {
      const config = configOrExit({ dataDir: opts.dataDir });
      const logger = cliLogger(config);
      try {
        // Loaded here, not at the top: `--help` and the other commands need none of it.
        const [{ openRuntime }, { reloadKeysOnSighup }] = await Promise.all([import('../runtime.js'), import('../crypto/open-crypto.js')]);
        const runtime = await openRuntime(config, 'worker', logger);
        logger.info({ worker: runtime.jobs.worker?.id, concurrency: config.jobs.concurrency }, 'mailhelper worker started');
        exitOnSignals(logger, config.shutdownGraceSeconds, () => runtime.close());
        reloadKeysOnSighup(runtime.crypto, logger);
      } catch (err) {
        reportFatal(err);
      }
    });
}
