import { z } from 'zod';
import type { AccountState } from '../db/schema.js';
import type { ImapEndpoint, Security } from '../mail/imap/connect.js';
import { normalizeFingerprint } from '../mail/imap/transport.js';
import { presets } from '../mail/presets.js';
import type { AccountRow } from '../repositories/accounts.js';

/** Request shapes of the accounts API and the sealed settings JSON (account.settings.v1). */

const hostName = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s/@:[\]]+|[0-9a-fA-F:]+)$/, 'must be a host name or IP address');

const trust = z
  .object({
    caPem: z.string().max(64_000).includes('-----BEGIN CERTIFICATE-----', { message: 'must be a PEM certificate' }).optional(),
    fingerprintSha256: z
      .string()
      .trim()
      .refine((v) => /^[0-9a-fA-F]{64}$/.test(v.replace(/:/g, '')), 'must be a SHA-256 fingerprint (64 hex digits)')
      .transform(normalizeFingerprint)
      .optional(),
  })
  .strict();

const security = z.enum(['tls', 'starttls', 'none']);

export const imapInput = z
  .object({
    host: hostName,
    port: z.number().int().min(1).max(65535),
    security,
    user: z.string().min(1).max(320),
    password: z.string().min(1).max(1000),
    tls: trust.optional(),
  })
  .strict();

export const smtpInput = z
  .object({
    host: hostName,
    port: z.number().int().min(1).max(65535),
    security,
    /** Defaults to the IMAP login when left out. */
    user: z.string().min(1).max(320).optional(),
    password: z.string().min(1).max(1000).optional(),
    tls: trust.optional(),
  })
  .strict();

const initialWindow = z
  .object({ sinceDays: z.number().int().min(1).max(36_500).optional(), maxPerFolder: z.number().int().min(1).max(1_000_000).optional() })
  .strict();

const presetId = z.enum(presets.map((p) => p.id) as [string, ...string[]]);

export const createAccountInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    provider: presetId.optional(),
    imap: imapInput,
    smtp: smtpInput.optional(),
    syncIntervalMinutes: z.number().int().min(1).max(24 * 60).optional(),
    initialWindow: initialWindow.optional(),
    /** Folder paths to sync instead of the defaults. */
    folders: z.array(z.string().min(1).max(1000)).max(10_000).optional(),
  })
  .strict();

/** The connection test takes the same body as create; only `imap` matters. */
export const testAccountInput = createAccountInput.partial({ name: true });

export const updateAccountInput = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    provider: presetId.nullable().optional(),
    /** Changed fields only; the stored password is kept unless a new one is given. */
    imap: imapInput.partial().strict().optional(),
    smtp: smtpInput.nullable().optional(),
    syncIntervalMinutes: z.number().int().min(1).max(24 * 60).optional(),
    initialWindow: initialWindow.optional(),
  })
  .strict();

export const folderSelectionInput = z
  .object({ folders: z.array(z.object({ id: z.string().uuid(), synced: z.boolean() }).strict()).min(1).max(10_000) })
  .strict();

export type CreateAccountInput = z.output<typeof createAccountInput>;
export type TestAccountInput = z.output<typeof testAccountInput>;
export type UpdateAccountInput = z.output<typeof updateAccountInput>;

export interface SmtpEndpoint {
  host: string;
  port: number;
  security: Security;
  user?: string;
  password?: string;
  tls?: ImapEndpoint['tls'];
}

/** Sealed as JSON with context account.settings.v1. */
export interface AccountSettings {
  imap: ImapEndpoint;
  smtp: SmtpEndpoint | null;
}

export const defaults = { syncIntervalMinutes: 5, sinceDays: 90, maxPerFolder: 5000 };

/** What the API shows of an account: never a password. */
export interface AccountView {
  id: string;
  name: string;
  provider: string | null;
  imap: { host: string; port: number; security: Security; user: string; tls: { caPem: string | null; fingerprintSha256: string | null } };
  smtp: { host: string; port: number; security: Security; user: string | null } | null;
  syncIntervalMinutes: number;
  initialWindow: { sinceDays: number; maxPerFolder: number };
  syncState: AccountState;
  lastSyncAt: number | null;
  lastError: { code: string; message: string | null; at: number | null } | null;
  capabilities: string[];
  createdAt: number;
  updatedAt: number;
}

export function toAccountView(row: AccountRow, name: string, settings: AccountSettings): AccountView {
  const { imap, smtp } = settings;
  return {
    id: row.id,
    name,
    provider: row.provider,
    imap: {
      host: imap.host,
      port: imap.port,
      security: imap.security,
      user: imap.user,
      tls: { caPem: imap.tls?.caPem ?? null, fingerprintSha256: imap.tls?.fingerprintSha256 ?? null },
    },
    smtp: smtp ? { host: smtp.host, port: smtp.port, security: smtp.security, user: smtp.user ?? null } : null,
    syncIntervalMinutes: row.sync_interval_minutes,
    initialWindow: { sinceDays: row.initial_window_days, maxPerFolder: row.initial_max_per_folder },
    syncState: row.state,
    lastSyncAt: row.last_sync_at === null ? null : Number(row.last_sync_at),
    lastError: row.last_error_code ? { code: row.last_error_code, message: row.last_error_message, at: row.last_error_at === null ? null : Number(row.last_error_at) } : null,
    capabilities: row.capabilities ? row.capabilities.split(' ').filter(Boolean) : [],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
