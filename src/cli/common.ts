import { ConfigError, loadConfig, type Config, type ConfigOverrides } from '../config/index.js';
import { createLogger, type Logger } from '../observability/logger.js';

export interface CommonOptions {
  dataDir?: string;
  databaseUrl?: string;
}

/** Loads config or exits with the one-line reason; the CLI never prints a stack for a bad setting. */
export function configOrExit(overrides: ConfigOverrides): Config {
  try {
    return loadConfig(process.env, overrides);
  } catch (err) {
    if (err instanceof ConfigError) fail(`configuration error: ${err.message}`, 2);
    throw err;
  }
}

export function cliLogger(config: Config): Logger {
  return createLogger(config.log.level);
}

export function fail(message: string, code = 1): never {
  process.stderr.write(`mailhelper: ${message}\n`);
  process.exit(code);
}

/** Errors we expect (bad mode, locked instance, failed migration) print one line; anything else keeps its stack. */
export function reportFatal(err: unknown): never {
  const coded = err as { code?: string; message?: string };
  if (err instanceof Error && typeof coded.code === 'string' && /^[A-Z_]+$/.test(coded.code)) {
    fail(err.message);
  }
  process.stderr.write(`mailhelper: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

/**
 * SIGTERM/SIGINT: stop once, give running work the grace period, then exit; a second signal or a
 * hang past the grace period (+5 s) forces the exit.
 */
export function exitOnSignals(logger: Logger, graceSeconds: number, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), graceSeconds * 1000 + 5000).unref();
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
