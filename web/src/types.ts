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
