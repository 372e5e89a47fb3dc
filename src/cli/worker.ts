import type { Command } from 'commander';
import { reloadKeysOnSighup } from '../crypto/open-crypto.js';
import { openRuntime } from '../runtime.js';
import { cliLogger, configOrExit, reportFatal } from './common.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run background jobs only (PostgreSQL only; start as many as you like, on any machine)')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)')
    .addHelpText('after', '\nRefuses a SQLite database and a schema it does not know; run `mailhelper migrate up` first.')
    .action(async (opts: { dataDir?: string }) => {
      const config = configOrExit({ dataDir: opts.dataDir });
      const logger = cliLogger(config);
      try {
        const runtime = await openRuntime(config, 'worker', logger);
        logger.info('mailhelper worker started');
        const stop = async () => {
          await runtime.close();
          process.exit(0);
        };
        process.on('SIGTERM', () => void stop());
        process.on('SIGINT', () => void stop());
        reloadKeysOnSighup(runtime.crypto, logger);
        // The job loop attaches here once the queue exists; until then the worker holds its connections open.
        setInterval(() => {}, 1 << 30);
      } catch (err) {
        reportFatal(err);
      }
    });
}
