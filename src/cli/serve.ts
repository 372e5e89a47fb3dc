import type { Command } from 'commander';
import type { Role } from '../runtime.js';
import type { Services } from '../services/index.js';
import { cliLogger, configOrExit, exitOnSignals, reportFatal } from './common.js';
import { loadOrCreateTls } from './tls.js';

interface ServeOptions {
  port?: string;
  host?: string;
  https?: boolean;
  cert?: string;
  key?: string;
  dataDir?: string;
}

/** serve: web + worker in one process (the embedded default). web: HTTP only, for PostgreSQL deployments. */
export function registerServe(program: Command, role: Extract<Role, 'serve' | 'web'>): void {
  const isServe = role === 'serve';
  program
    .command(role)
    .description(
      isServe
        ? 'run everything in one process: web UI and API, background jobs, scheduler (the default; SQLite or PostgreSQL)'
        : 'run only the web UI and API (PostgreSQL only; run `mailhelper worker` for background jobs)',
    )
    .option('-p, --port <port>', 'port to listen on (env PORT, default 5003)')
    .option('-H, --host <host>', 'address to bind (env HOST, default 127.0.0.1)')
    .option('--https', 'serve HTTPS; without --cert/--key a self-signed certificate is generated into DATA_DIR/tls')
    .option('--cert <file>', 'PEM certificate for --https')
    .option('--key <file>', 'PEM private key for --https')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)')
    .addHelpText(
      'after',
      isServe
        ? '\nWith SQLite exactly one serve process may run per data directory; a second one refuses to start.\nMigrations are applied at start.'
        : '\nRefuses a SQLite database and a schema it does not know; run `mailhelper migrate up` first.',
    )
    .action(async (opts: ServeOptions) => {
      const config = configOrExit({ port: opts.port, host: opts.host, dataDir: opts.dataDir });
      const logger = cliLogger(config);
      try {
        let https = null;
        if (opts.https || opts.cert || opts.key) {
          const tls = await loadOrCreateTls(config.dataDir, opts.cert, opts.key);
          if (tls.selfSigned) {
            logger.warn('HTTPS with a generated SELF-SIGNED certificate: browsers will warn. Use --cert/--key or a reverse proxy for real use.');
          }
          https = { key: tls.key, cert: tls.cert };
        }
        // Loaded here, not at the top: `--help` and the other commands need none of it.
        const [{ openRuntime }, { buildApp }, { reloadKeysOnSighup }] = await Promise.all([import('../runtime.js'), import('../http/app.js'), import('../crypto/open-crypto.js')]);
        const runtime = await openRuntime(config, role, logger);
        const app = await buildApp({ ...runtime, https });
        exitOnSignals(logger, config.shutdownGraceSeconds, async () => {
          await app.close();
          await runtime.close();
        });
        reloadKeysOnSighup(runtime.crypto, logger);
        const address = await app.listen({ port: config.http.port, host: config.http.host });
        await announceSetup(runtime.services, address);
        logger.info({ address, mode: `${config.database.dialect}${config.redisUrl ? '+redis' : '+embedded'}` }, `mailhelper ${role} listening`);
      } catch (err) {
        reportFatal(err);
      }
    });
}

/** While no admin exists, print where to create one and the one-time token for non-local browsers (console only, never the log). */
async function announceSetup(services: Services, address: string): Promise<void> {
  const token = await services.setup.issueToken();
  if (!token) return;
  process.stderr.write(
    `\nFirst run: open ${address}/ to create the admin account.\n` +
      `From another machine you need this one-time setup token: ${token}\n\n`,
  );
}
