import { createRequire } from 'node:module';
import { AppError } from '../../errors.js';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

type Argon2 = typeof import('@node-rs/argon2');
let argon2Module: Argon2 | null = null;
/**
 * The argon2 binding (≈ 3.6 MB RSS) is loaded with the first hash: a `worker` process, which never
 * signs anyone in, never holds it.
 */
function argon2(): Argon2 {
  argon2Module ??= createRequire(import.meta.url)('@node-rs/argon2') as Argon2;
  return argon2Module;
}

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const argon2Options = () => ({ algorithm: argon2().Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/** A hash of a password nobody knows, so an unknown user name costs exactly one verification too. */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$cXWNWMvWRgRob76em7mnsA$y0CDorUbnKGB6rlViUSw0965GbyY1N4Q/hPM2CGI5N4';

/** At most two hashes at once, so a login flood queues instead of exhausting memory and CPU. */
const MAX_CONCURRENT_HASHES = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function withHashSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** For tests and metrics: how many hashes run right now. */
export function hashesInFlight(): number {
  return running;
}

export async function hashPassword(password: string): Promise<string> {
  return withHashSlot(() => argon2().hash(password, argon2Options()));
}

/** Verifies against the stored hash, or against the dummy hash when there is no user. */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  // Loaded outside the try: a binding that cannot load is an error, not a wrong password.
  const { verify } = argon2();
  return withHashSlot(async () => {
    try {
      const ok = await verify(storedHash ?? DUMMY_HASH, password);
      return storedHash !== null && ok;
    } catch {
      return false;
    }
  });
}

let common: Set<string> | null = null;
/** zxcvbn's dictionaries (several MB of strings) are loaded when a password is first checked, not at start. */
function commonPasswords(): Set<string> {
  if (!common) {
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    common = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  }
  return common;
}

/**
 * The password policy: at least 12 characters and not a common password, also not one with a
 * common word padded by digits or repeated ("password1234", "qwertyqwerty").
 */
export function checkPasswordPolicy(password: string, username?: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('PASSWORD_TOO_SHORT', `The password must have at least ${MIN_PASSWORD_LENGTH} characters`, 400, {
      minLength: MIN_PASSWORD_LENGTH,
    });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('PASSWORD_TOO_LONG', `The password must have at most ${MAX_PASSWORD_LENGTH} characters`, 400);
  }
  const lower = password.toLowerCase();
  const stripped = lower.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
  const list = commonPasswords();
  const isRepeat = /^(.{1,6})\1+$/u.test(lower);
  const isUsername = username !== undefined && lower.includes(username.toLowerCase()) && username.length >= 4 && stripped.length - username.length < 4;
  if (list.has(lower) || (stripped.length > 0 && list.has(stripped) && stripped.length < MIN_PASSWORD_LENGTH) || isRepeat || isUsername) {
    throw new AppError('PASSWORD_TOO_COMMON', 'This password is too common or too easy to guess; choose another', 400);
  }
}
