import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { AppError, NotFoundError } from '../../errors.js';
import { recoveryCodesRepository } from '../../repositories/access.js';
import { usersRepository } from '../../repositories/users.js';
import { hashSecret } from './tokens.js';
import { base32Encode, matchTotp, newTotpSecret, otpauthUri } from './totp.js';

/** Seals secrets with the user's data key (the crypto service provides this). */
export interface SecretSealer {
  sealText(userId: string, context: string, rowId: string, plaintext: string): Promise<Buffer>;
  openText(userId: string, context: string, rowId: string, sealed: Buffer): Promise<string>;
}

const TOTP_CONTEXT = 'user.totp_secret.v1';
const RECOVERY_CODES = 10;
const ISSUER = 'KI-Mail-Helper';

export type SecondFactor = { code: string } | { recoveryCode: string };

/** 80-bit codes, grouped for reading aloud: "abcd-efgh-ijkl-mnop". */
function newRecoveryCode(): string {
  return base32Encode(randomBytes(10)).toLowerCase().match(/.{4}/g)!.join('-');
}

function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z2-7]/g, '').match(/.{1,4}/g)?.join('-') ?? '';
}

/** TOTP enrolment, verification with replay protection, single-use recovery codes. */
export function createTwoFactorService(deps: { db: Kysely<Database>; sealer: SecretSealer; now: () => number }) {
  const { db, sealer, now } = deps;
  const userOrThrow = async (userId: string) => {
    const user = await usersRepository.findById(db, userId);
    if (!user) throw new NotFoundError('User');
    return user;
  };

  return {
    async status(userId: string): Promise<{ enabled: boolean; recoveryCodesLeft: number }> {
      const user = await userOrThrow(userId);
      return { enabled: user.totp_enabled_at !== null, recoveryCodesLeft: user.totp_enabled_at ? await recoveryCodesRepository.countUnused(db, userId) : 0 };
    },

    /** Starts (or restarts) enrolment: a new secret, sealed, not active until confirmed with a code. */
    async beginEnrollment(userId: string): Promise<{ otpauthUri: string; secret: string; qrSvg: string }> {
      const user = await userOrThrow(userId);
      if (user.totp_enabled_at !== null) throw new AppError('TWO_FACTOR_ALREADY_ENABLED', 'Two-factor sign-in is already on; turn it off first', 409);
      const secret = newTotpSecret();
      await usersRepository.update(db, userId, { totp_secret: await sealer.sealText(userId, TOTP_CONTEXT, userId, secret), totp_last_step: null, updated_at: now() });
      const uri = otpauthUri(ISSUER, user.username, secret);
      return { otpauthUri: uri, secret, qrSvg: await (await import('qrcode')).default.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }) };
    },

    /** Confirms enrolment with a code from the app; returns the recovery codes, shown this once. */
    async confirmEnrollment(userId: string, code: string): Promise<string[]> {
      const user = await userOrThrow(userId);
      if (user.totp_enabled_at !== null) throw new AppError('TWO_FACTOR_ALREADY_ENABLED', 'Two-factor sign-in is already on', 409);
      if (!user.totp_secret) throw new AppError('TWO_FACTOR_NOT_STARTED', 'Start the enrolment first', 409);
      const secret = await sealer.openText(userId, TOTP_CONTEXT, userId, user.totp_secret);
      const step = matchTotp(secret, code.trim(), now(), null);
      if (step === null) throw new AppError('TWO_FACTOR_CODE_INVALID', 'The code is wrong or expired', 400);
      const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
      const at = now();
      await recoveryCodesRepository.replaceAll(
        db,
        userId,
        codes.map((c) => ({ id: newId(), user_id: userId, code_hash: hashSecret(c), used_at: null, created_at: at })),
      );
      await usersRepository.update(db, userId, { totp_enabled_at: at, totp_last_step: step, updated_at: at });
      return codes;
    },

    /** True when the factor is right; a TOTP code or recovery code works once only. */
    async verify(userId: string, factor: SecondFactor): Promise<boolean> {
      const user = await userOrThrow(userId);
      if (user.totp_enabled_at === null || !user.totp_secret) return false;
      if ('recoveryCode' in factor) {
        return recoveryCodesRepository.consume(db, userId, hashSecret(normaliseRecoveryCode(factor.recoveryCode)), now());
      }
      const secret = await sealer.openText(userId, TOTP_CONTEXT, userId, user.totp_secret);
      const step = matchTotp(secret, factor.code.trim(), now(), user.totp_last_step);
      if (step === null) return false;
      await usersRepository.update(db, userId, { totp_last_step: step });
      return true;
    },

    async isEnabled(userId: string): Promise<boolean> {
      return (await userOrThrow(userId)).totp_enabled_at !== null;
    },

    /** Turns 2FA off (after step-up) or resets it (operator, CLI): secret and recovery codes are gone. */
    async disable(userId: string): Promise<void> {
      await userOrThrow(userId);
      await usersRepository.update(db, userId, { totp_secret: null, totp_enabled_at: null, totp_last_step: null, updated_at: now() });
      await recoveryCodesRepository.deleteAll(db, userId);
    },
  };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;
