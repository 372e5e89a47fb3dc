/** Shapes of the public API the UI reads (see docs: API.md and /api/docs). */

export type Language = 'de' | 'en';
export type Role = 'admin' | 'user';

export interface PublicUser {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  language: string;
  createdAt: number;
}

export interface Me extends PublicUser {
  twoFactor: { enabled: boolean; recoveryCodesLeft: number; required: boolean };
  csrfToken?: string;
  stepUpAt?: number | null;
}

export type SessionView =
  | { kind: 'setup'; tokenRequired: boolean }
  | { kind: 'anonymous' }
  | { kind: 'pending_2fa' }
  | { kind: 'user'; me: Me };

export interface SignedIn {
  user: PublicUser;
  csrfToken: string;
}

export interface ApiToken {
  id: string;
  name: string;
  scopes: string[];
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
}

export interface Invitation {
  id: string;
  role: Role;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  acceptedUserId: string | null;
}

export interface AuditEntry {
  id: string;
  event: string;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  at: number;
}

export interface JobInfo {
  id: string;
  type: string;
  state: string;
  lane?: string;
  attempts: number;
  maxAttempts: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error?: unknown;
  userId?: string | null;
}

export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  concurrency: number;
  running: number;
  startedAt: number;
  heartbeatAt: number;
}

export type Security = 'tls' | 'starttls' | 'none';
export type SyncState = 'idle' | 'syncing' | 'auth_error' | 'error' | 'deleting';

export interface ServerPreset {
  host: string;
  port: number;
  security: Security;
}

export interface ProviderPreset {
  id: string;
  name: string;
  imap: ServerPreset;
  smtp: ServerPreset;
  note: string;
  userIsEmail: boolean;
  local?: boolean;
}

export interface Account {
  id: string;
  name: string;
  provider: string | null;
  imap: { host: string; port: number; security: Security; user: string; tls: { caPem: string | null; fingerprintSha256: string | null } };
  smtp: { host: string; port: number; security: Security; user: string | null } | null;
  syncIntervalMinutes: number;
  initialWindow: { sinceDays: number; maxPerFolder: number };
  syncState: SyncState;
  lastSyncAt: number | null;
  lastError: { code: string; message: string | null; at: number | null } | null;
  capabilities: string[];
  createdAt: number;
  updatedAt: number;
  /** Only on GET /api/accounts/:id: the record of the last sync run, or null before the first. */
  lastRun?: LastRun | null;
}

/** One folder's part of a sync run (`lastRun.folders` on GET /api/accounts/:id). */
export interface FolderRun {
  folderId: string;
  path: string | null;
  /** 'skip', 'initial', 'reseed', or incremental steps joined by '+'. */
  strategy: string;
  new: number;
  changed: number;
  deleted: number;
  durationMs: number;
  error: string | null;
}

export interface LastRun {
  startedAt: number;
  finishedAt: number;
  outcome: 'ok' | 'partial' | 'failed';
  errorCode: string | null;
  folders: FolderRun[];
}

export interface Folder {
  id: string;
  path: string;
  name: string;
  role: string | null;
  synced: boolean;
  messages: number;
  unseen: number;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  fingerprintSha256: string;
  validFrom: string;
  validTo: string;
  selfSigned: boolean;
  reason: string | null;
}

export interface ConnectionTest {
  ok: boolean;
  stage?: string;
  message?: string;
  certificate?: CertificateInfo;
  capabilities?: string[];
}

/** The numbers an account sync reports on /api/events. */
export interface SyncProgress {
  foldersDone?: number;
  foldersTotal?: number;
  fetched?: number;
  stored?: number;
}
