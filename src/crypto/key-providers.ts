import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { generateMasterKey, parseKeyRing, serializeKeyRing, type KeyRing } from './keyring.js';

export type KeySourceKind = 'file' | 'command' | 'env' | 'default-file';

/** Where the master key ring comes from. `load` is called at start and on SIGHUP, never per request. */
export interface KeySource {
  kind: KeySourceKind;
  /** For messages and `doctor`: the file path, "MASTER_KEY_COMMAND" or "MASTER_KEY". Never the key. */
  describe: string;
  /** The ring file, for sources `keys rotate` can write to. */
  file: string | null;
  load(): Promise<KeyRing>;
}

export class KeyProviderError extends AppError {
  constructor(message: string) {
    super('KEY_PROVIDER_FAILED', message, 500);
    this.name = 'KeyProviderError';
  }
}

export const COMMAND_TIMEOUT_MS = 15_000;

/** `$XDG_CONFIG_HOME/mailhelper/master.key`, falling back to `~/.config`; never inside DATA_DIR by default. */
export function defaultMasterKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'mailhelper', 'master.key');
}

export interface KeySourceOptions {
  /** Only `serve` (the embedded mode) may create the default key; web/worker on other machines must share one. */
  mayGenerate: boolean;
  env?: NodeJS.ProcessEnv;
  commandTimeoutMs?: number;
}

/** Picks the one configured source; setting more than one is refused so nobody guesses which wins. */
export function selectKeySource(keys: Config['keys'], appEnv: Config['env'], options: KeySourceOptions): KeySource {
  const set = [keys.file && 'MASTER_KEY_FILE', keys.command && 'MASTER_KEY_COMMAND', keys.envKey && 'MASTER_KEY'].filter(Boolean);
  if (set.length > 1) throw new KeyProviderError(`set only one of ${set.join(', ')}`);
  if (keys.file) return fileSource(path.resolve(keys.file), 'file');
  if (keys.command) return commandSource(keys.command, options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS);
  if (keys.envKey) {
    if (appEnv === 'production') {
      throw new KeyProviderError('MASTER_KEY is for development only; in production use MASTER_KEY_FILE or MASTER_KEY_COMMAND');
    }
    const text = keys.envKey;
    return { kind: 'env', describe: 'MASTER_KEY', file: null, load: async () => parseKeyRing(text, 'MASTER_KEY') };
  }
  const file = defaultMasterKeyPath(options.env);
  const source = fileSource(file, 'default-file');
  if (!options.mayGenerate) {
    return {
      ...source,
      async load() {
        if (!fs.existsSync(file)) {
          throw new KeyProviderError(
            `no master key: ${file} does not exist and only \`mailhelper serve\` generates one; set MASTER_KEY_FILE or MASTER_KEY_COMMAND so every process shares the same key`,
          );
        }
        return source.load();
      },
    };
  }
  return {
    ...source,
    async load() {
      createKeyFileIfMissing(file);
      return source.load();
    },
  };
}

function fileSource(file: string, kind: 'file' | 'default-file'): KeySource {
  return {
    kind,
    describe: file,
    file,
    async load() {
      let text: string;
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new KeyProviderError(`cannot read the master key file ${file} (${code ?? 'error'})`);
      }
      return parseKeyRing(text, file);
    },
  };
}

/** Creates a new ring with one key, mode 0600, in a 0700 directory; `wx` so two starts cannot both write. */
export function createKeyFileIfMissing(file: string): boolean {
  if (fs.existsSync(file)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const { id, key } = generateMasterKey();
  try {
    fs.writeFileSync(file, serializeKeyRing({ keys: new Map([[id, key]]), activeId: id }), { mode: 0o600, flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Replaces a ring file atomically (write a sibling, then rename), keeping mode 0600. */
export function writeKeyRingFile(file: string, ring: KeyRing): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, serializeKeyRing(ring), { mode: 0o600, flag: 'w' });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/**
 * Runs the operator's command through `sh -c` (so pipes and quoting work as typed); its standard
 * output is the ring. Standard error is not kept: a secret manager's output is not ours to log.
 */
function commandSource(command: string, timeoutMs: number): KeySource {
  return {
    kind: 'command',
    describe: 'MASTER_KEY_COMMAND',
    file: null,
    load: () =>
      new Promise<KeyRing>((resolve, reject) => {
        execFile('sh', ['-c', command], { timeout: timeoutMs, maxBuffer: 256 * 1024, encoding: 'utf8' }, (err, stdout) => {
          if (err) {
            const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
            const why = e.killed ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `failed (exit ${e.code ?? 'unknown'})`;
            reject(new KeyProviderError(`MASTER_KEY_COMMAND ${why}; run it by hand to see its output`));
            return;
          }
          try {
            resolve(parseKeyRing(stdout, 'MASTER_KEY_COMMAND output'));
          } catch (parseErr) {
            reject(parseErr);
          }
        });
      }),
  };
}

/** True when `file` is DATA_DIR itself or inside it: a copy of the data would then carry the key. */
export function isInside(file: string, dir: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const rel = path.relative(real(dir), real(file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
