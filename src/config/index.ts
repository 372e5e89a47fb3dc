import path from 'node:path';
import { z } from 'zod';

/** The one typed configuration object. Built from the environment plus CLI flags, validated once at start. */
export interface Config {
  env: 'development' | 'production' | 'test';
  dataDir: string;
  database: { url: string; dialect: 'sqlite' | 'postgres'; sqlitePath: string | null; poolSize: number; sqliteCheckpointWorker: boolean };
  redisUrl: string | null;
  /** Namespaces every Redis key and channel of this installation (several can share one Redis). */
  redisPrefix: string;
  http: { host: string; port: number; publicUrl: string | null; trustProxy: string[] };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  keys: { file: string | null; command: string | null; envKey: string | null };
  monitoringToken: string | null;
  allowPrivateMailHosts: boolean;
  /** Mail servers: per-account IMAP connection cap; hosts where cleartext IMAP/SMTP (`security: none`) is allowed besides loopback. */
  mail: {
    maxConnectionsPerAccount: number;
    insecureHosts: string[];
    /** Sync connections: TCP/TLS connect, and the longest silence on an open connection before it counts as stalled. */
    timeouts: { connectMs: number; socketMs: number };
  };
  sessions: { idleMinutes: number; absoluteHours: number };
  /** `required`: every user must enrol TOTP before using the app; `optional`: each user decides. */
  twoFactorPolicy: 'required' | 'optional';
  shutdownGraceSeconds: number;
  jobs: { concurrency: number; perUserCap: number };
  sync: {
    /** Messages per batch transaction, and bytes per batch. */
    batchSize: number;
    batchBytes: number;
    /** Messages above this are kept as metadata with a warning instead of being fetched. */
    maxMessageBytes: number;
    /** Without CONDSTORE, flags of known messages are re-read at most this often. */
    flagCheckMinutes: number;
  };
  /** Analysis upkeep: LLM answers are cached this long (then pruned by the daily maintenance job). */
  analysis: { llmCacheRetentionDays: number };
  /** Test hook: the named crash point kills the process (MAILHELPER_CRASH_AT); never set in production. */
  crashAt: string | null;
}

/** Thrown for any invalid setting; the message is one line naming the variable and the problem. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', ''].includes(v), 'must be 1/0 or true/false')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const intIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? null : v));

/** IPv4/IPv6 addresses or CIDR ranges; "trust all" is refused so forwarded addresses cannot be spoofed. */
const proxyList = z
  .string()
  .trim()
  .transform((v) => (v === '' ? [] : v.split(',').map((s) => s.trim()).filter(Boolean)))
  .superRefine((list, ctx) => {
    for (const entry of list) {
      if (['true', '*', 'all', '0.0.0.0/0', '::/0'].includes(entry.toLowerCase())) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" would trust every address; list the proxy addresses instead` });
      } else if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR range` });
      }
    }
  });

const urlText = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  DATABASE_URL: optionalText.default(null),
  DB_POOL_SIZE: intIn(1, 200).default(10),
  SQLITE_CHECKPOINT_WORKER: bool.default(true),
  REDIS_URL: z.union([z.literal(''), urlText(['redis:', 'rediss:'])]).default(''),
  REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, "-" or "_"')
    .default('mailhelper'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: intIn(0, 65535).default(5003),
  PUBLIC_URL: z.union([z.literal(''), urlText(['http:', 'https:'])]).default(''),
  TRUST_PROXY: proxyList.default([]),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MASTER_KEY_FILE: optionalText.default(null),
  MASTER_KEY_COMMAND: optionalText.default(null),
  MASTER_KEY: optionalText.default(null),
  MONITORING_TOKEN: optionalText.default(null),
  ALLOW_PRIVATE_MAIL_HOSTS: bool.default(false),
  ALLOW_INSECURE_MAIL_HOSTS: z.string().trim().default(''),
  IMAP_MAX_CONNECTIONS_PER_ACCOUNT: intIn(1, 20).default(3),
  IMAP_CONNECT_TIMEOUT_SECONDS: intIn(1, 300).default(10),
  IMAP_SOCKET_TIMEOUT_SECONDS: intIn(1, 3600).default(120),
  SESSION_IDLE_MINUTES: intIn(1, 7 * 24 * 60).default(30),
  SESSION_ABSOLUTE_HOURS: intIn(1, 24 * 365).default(12),
  SYNC_BATCH_SIZE: intIn(1, 1000).default(50),
  SYNC_BATCH_MB: intIn(1, 1024).default(16),
  MAX_MESSAGE_MB: intIn(1, 1024).default(50),
  FLAG_CHECK_MINUTES: intIn(1, 24 * 60).default(15),
  MAILHELPER_CRASH_AT: optionalText.default(null),
  TWO_FACTOR_POLICY: z.enum(['required', 'optional']).default('required'),
  SHUTDOWN_GRACE_SECONDS: intIn(0, 3600).default(20),
  JOBS_CONCURRENCY: intIn(1, 256).default(4),
  JOBS_PER_USER_CAP: intIn(1, 256).default(2),
  LLM_CACHE_RETENTION_DAYS: intIn(1, 3650).default(30),
});

export type EnvInput = Partial<Record<keyof z.input<typeof envSchema>, string>>;

/** Flags from the CLI override the environment. */
export interface ConfigOverrides {
  host?: string;
  port?: number | string;
  dataDir?: string;
  databaseUrl?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv | EnvInput = process.env, overrides: ConfigOverrides = {}): Config {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = (env as Record<string, string | undefined>)[key];
    if (value !== undefined) raw[key] = value;
  }
  if (overrides.host !== undefined) raw.HOST = overrides.host;
  if (overrides.port !== undefined) raw.PORT = String(overrides.port);
  if (overrides.dataDir !== undefined) raw.DATA_DIR = overrides.dataDir;
  if (overrides.databaseUrl !== undefined) raw.DATABASE_URL = overrides.databaseUrl;

  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'configuration');
    throw new ConfigError(`${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const database = parseDatabaseUrl(e.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'mailhelper.db')}`);
  const redisUrl = e.REDIS_URL === '' ? null : e.REDIS_URL;
  if (database.dialect === 'sqlite' && redisUrl) {
    throw new ConfigError(
      'REDIS_URL: cannot be combined with a SQLite DATABASE_URL; use PostgreSQL for the Redis/BullMQ mode, or unset REDIS_URL',
    );
  }
  return {
    env: e.NODE_ENV,
    dataDir,
    database: { ...database, poolSize: e.DB_POOL_SIZE, sqliteCheckpointWorker: e.SQLITE_CHECKPOINT_WORKER },
    redisUrl,
    redisPrefix: e.REDIS_PREFIX,
    http: { host: e.HOST, port: e.PORT, publicUrl: e.PUBLIC_URL === '' ? null : e.PUBLIC_URL.replace(/\/+$/, ''), trustProxy: e.TRUST_PROXY },
    log: { level: e.LOG_LEVEL },
    keys: { file: e.MASTER_KEY_FILE, command: e.MASTER_KEY_COMMAND, envKey: e.MASTER_KEY },
    monitoringToken: e.MONITORING_TOKEN,
    allowPrivateMailHosts: e.ALLOW_PRIVATE_MAIL_HOSTS,
    mail: {
      maxConnectionsPerAccount: e.IMAP_MAX_CONNECTIONS_PER_ACCOUNT,
      insecureHosts: e.ALLOW_INSECURE_MAIL_HOSTS.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
      timeouts: { connectMs: e.IMAP_CONNECT_TIMEOUT_SECONDS * 1000, socketMs: e.IMAP_SOCKET_TIMEOUT_SECONDS * 1000 },
    },
    sessions: { idleMinutes: e.SESSION_IDLE_MINUTES, absoluteHours: e.SESSION_ABSOLUTE_HOURS },
    twoFactorPolicy: e.TWO_FACTOR_POLICY,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    jobs: { concurrency: e.JOBS_CONCURRENCY, perUserCap: e.JOBS_PER_USER_CAP },
    sync: {
      batchSize: e.SYNC_BATCH_SIZE,
      batchBytes: e.SYNC_BATCH_MB * 1024 * 1024,
      maxMessageBytes: e.MAX_MESSAGE_MB * 1024 * 1024,
      flagCheckMinutes: e.FLAG_CHECK_MINUTES,
    },
    analysis: { llmCacheRetentionDays: e.LLM_CACHE_RETENTION_DAYS },
    crashAt: e.MAILHELPER_CRASH_AT,
  };
}

export function parseDatabaseUrl(url: string): { url: string; dialect: 'sqlite' | 'postgres'; sqlitePath: string | null } {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError('DATABASE_URL: is not a valid postgres:// URL');
    }
    return { url, dialect: 'postgres', sqlitePath: null };
  }
  const match = /^(?:sqlite|file):(?:\/\/)?(.+)$/.exec(url);
  if (match) {
    const file = path.resolve(match[1]!);
    return { url: `sqlite:${file}`, dialect: 'sqlite', sqlitePath: file };
  }
  throw new ConfigError('DATABASE_URL: must start with postgres://, postgresql:// or sqlite:');
}

/** The configuration as safe to print: secrets and credentials in URLs replaced. */
export function redactConfig(config: Config): Record<string, unknown> {
  const hidden = (v: string | null) => (v ? '[redacted]' : null);
  return {
    ...config,
    database: { ...config.database, url: redactUrl(config.database.url) },
    redisUrl: config.redisUrl ? redactUrl(config.redisUrl) : null,
    keys: { file: config.keys.file, command: config.keys.command ? '[set]' : null, envKey: hidden(config.keys.envKey) },
    monitoringToken: hidden(config.monitoringToken),
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return url;
  }
}
