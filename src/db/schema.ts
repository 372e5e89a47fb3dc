import type { Generated, Kysely, Transaction } from 'kysely';

/**
 * Table types. Conventions (ARCHITECTURE.md "Data"): ids are UUIDv7 strings, times are epoch
 * milliseconds as numbers, booleans are 0/1 numbers, binary content is a Buffer — identical on both dialects.
 */
export interface Database {
  app_settings: AppSettingsTable;
  users: UsersTable;
  sessions: SessionsTable;
  auth_throttle: AuthThrottleTable;
  rate_limits: RateLimitsTable;
  audit_events: AuditEventsTable;
  user_keys: UserKeysTable;
  user_key_wraps: UserKeyWrapsTable;
  recovery_codes: RecoveryCodesTable;
  api_tokens: ApiTokensTable;
  invitations: InvitationsTable;
  jobs: JobsTable;
  leases: LeasesTable;
  job_runs: JobRunsTable;
  workers: WorkersTable;
  job_type_pauses: JobTypePausesTable;
  job_schedules: JobSchedulesTable;
  accounts: AccountsTable;
  folders: FoldersTable;
  threads: ThreadsTable;
  thread_keys: ThreadKeysTable;
  sync_runs: SyncRunsTable;
  messages: MessagesTable;
  message_copies: MessageCopiesTable;
  message_chunks: MessageChunksTable;
  attachments: AttachmentsTable;
  attachment_chunks: AttachmentChunksTable;
  copy_tombstones: CopyTombstonesTable;
  message_corrections: MessageCorrectionsTable;
  tags: TagsTable;
  message_tags: MessageTagsTable;
  sender_rules: SenderRulesTable;
  message_addresses: MessageAddressesTable;
  ai_providers: AiProvidersTable;
  user_ai_settings: UserAiSettingsTable;
  llm_usage: LlmUsageTable;
  llm_cache: LlmCacheTable;
  pending_operations: PendingOperationsTable;
}

export interface AppSettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

/** What repositories take: the database or an open transaction. No network I/O inside a transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface UsersTable {
  id: string;
  username: string;
  role: 'admin' | 'user';
  password_hash: string;
  is_disabled: number;
  language: string;
  created_at: number;
  updated_at: number;
  password_changed_at: number;
  locked_until: number | null;
  /** Sealed with the user's data key (context user.totp_secret.v1). */
  totp_secret: Buffer | null;
  totp_enabled_at: number | null;
  totp_last_step: number | null;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value; the value itself is never stored. The CSRF token is useless without the cookie. */
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  step_up_at: number | null;
  ip: string | null;
  user_agent: string | null;
  state: 'full' | 'pending_2fa';
}

export interface AuthThrottleTable {
  key: string;
  failures: number;
  last_failure_at: number;
  next_allowed_at: number;
}

export interface RateLimitsTable {
  key: string;
  window_start: number;
  hits: number;
}

export interface AuditEventsTable {
  id: string;
  user_id: string | null;
  actor_id: string | null;
  event: string;
  ip: string | null;
  details: string;
  created_at: number;
}

/** A user's data key of one version (the key itself lives only wrapped, in user_key_wraps). */
export interface UserKeysTable {
  user_id: string;
  version: number;
  created_at: number;
}

export interface UserKeyWrapsTable {
  user_id: string;
  version: number;
  master_key_id: string;
  wrapped_key: Buffer;
  created_at: number;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  /** Comma-separated: read, write, admin. */
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
}

export interface InvitationsTable {
  id: string;
  token_hash: string;
  role: 'admin' | 'user';
  created_by: string | null;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  accepted_user_id: string | null;
}

export interface JobsTable {
  id: string;
  type: string;
  /** JSON; ids and counts only, never secrets or mail content. */
  payload: string;
  payload_version: number;
  user_id: string | null;
  lane: 'interactive' | 'bulk';
  key: string | null;
  state: 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';
  cancel_requested: number;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  lock_expires_at: number | null;
  progress: string | null;
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface LeasesTable {
  key: string;
  /** Fencing token: raised on every acquisition, never reset. */
  token: number;
  holder: string | null;
  expires_at: number;
}

export interface JobRunsTable {
  id: string;
  job_id: string;
  type: string;
  user_id: string | null;
  lane: string;
  state: 'completed' | 'failed' | 'cancelled';
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number;
  duration_ms: number | null;
}

export interface WorkersTable {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  concurrency: number;
  running: number;
  started_at: number;
  heartbeat_at: number;
}

export interface JobTypePausesTable {
  type: string;
  paused_at: number;
}

export interface JobSchedulesTable {
  key: string;
  type: string;
  next_run_at: number;
  updated_at: number;
}

export type AccountState = 'idle' | 'syncing' | 'auth_error' | 'error' | 'deleting';
export type FolderRole = 'inbox' | 'sent' | 'drafts' | 'trash' | 'junk' | 'archive' | 'all' | 'flagged' | 'important';

export interface AccountsTable {
  id: string;
  user_id: string;
  /** Sealed: account.name.v1. */
  name: Buffer;
  /** Sealed JSON: account.settings.v1 (IMAP/SMTP endpoints and credentials). */
  settings: Buffer;
  provider: string | null;
  state: AccountState;
  sync_interval_minutes: number;
  initial_window_days: number;
  initial_max_per_folder: number;
  /** Space-separated IMAP capabilities seen at the last connection. */
  capabilities: string | null;
  last_sync_at: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface FoldersTable {
  id: string;
  user_id: string;
  account_id: string;
  /** Sealed: folder.path.v1. */
  path: Buffer;
  /** Keyed HMAC (purpose folder.path.v1) of the path, for look-ups. */
  path_hash: Buffer;
  delimiter: string | null;
  role: FolderRole | null;
  is_synced: number;
  is_gone: number;
  uidvalidity: number | null;
  uidnext: number | null;
  highestmodseq: number | null;
  message_count: number;
  unseen_count: number;
  /** The server's count at the end of the last sync (message_count follows every listing). */
  synced_count: number | null;
  last_full_check_at: number | null;
  last_flag_check_at: number | null;
  last_error_code: string | null;
  created_at: number;
  updated_at: number;
}

export interface ThreadsTable {
  id: string;
  user_id: string;
  /** Keyed HMAC (message.id.v1) of the root Message-ID. */
  root_hash: Buffer;
  /** Keyed HMAC (thread.subject.v1) of the normalised subject. */
  subject_hash: Buffer | null;
  last_date: number;
  message_count: number;
  created_at: number;
  updated_at: number;
}

/** The keyed hashes that tie messages to a thread (0013). */
export interface ThreadKeysTable {
  user_id: string;
  thread_id: string;
  /** 'ref': keyed HMAC (message.id.v1) of a Message-ID; 'addr': keyed HMAC (thread.participant.v1) of an address. */
  kind: 'ref' | 'addr';
  key_hash: Buffer;
  first_date: number;
  last_date: number;
}

/** One sync run of an account (0013); the last few are kept. */
export interface SyncRunsTable {
  id: string;
  user_id: string;
  account_id: string;
  started_at: number;
  finished_at: number;
  outcome: 'ok' | 'partial' | 'failed';
  error_code: string | null;
  /** JSON array of per-folder records (ids, strategy codes, counts, durations, error codes). */
  folders: string;
}

export interface MessagesTable {
  id: string;
  user_id: string;
  account_id: string;
  thread_id: string | null;
  email_id: string | null;
  message_id_hash: Buffer | null;
  content_hash: Buffer;
  envelope_hash: Buffer;
  date: number;
  size: number;
  has_attachments: number;
  is_calendar: number;
  is_newsletter: number;
  /** Sealed JSON: message.envelope.v1. */
  envelope: Buffer;
  /** Sealed: message.text.v1. */
  body_text: Buffer | null;
  /** Sealed: message.html.v1 (as received; sanitised when rendered). */
  body_html: Buffer | null;
  /** Sealed: message.snippet.v1. */
  snippet: Buffer | null;
  /** Sealed JSON: message.calendar.v1. */
  calendar: Buffer | null;
  /** Space-separated warning codes. */
  parse_warnings: string | null;
  /** Number of sealed chunks of the raw source; 0 when the source was not kept (too large). */
  source_chunks: number;
  copy_count: number;
  is_seen: number;
  is_flagged: number;
  is_answered: number;
  is_done: number;
  done_at: number | null;
  created_at: number;
  updated_at: number;
  // Effective analysis (0010): null until analysed.
  urgency: number | null;
  importance: number | null;
  score: number | null;
  colour: string | null;
  category: string | null;
  is_spam: number | null;
  confidence: number | null;
  /** 'builtin' | 'user' | 'llm:…'. */
  analysis_source: string | null;
  /** 'pending' | 'done' | 'failed'. */
  analysis_status: Generated<string>;
  /** Error code only. */
  analysis_error: string | null;
  analysed_at: number | null;
  /** Sealed: message.summary.v1. */
  analysis_summary: Buffer | null;
  /** Sealed JSON: message.reasons.v1 ({reasons, deadline, language}). */
  analysis_reasons: Buffer | null;
  /** Sealed JSON: message.tags.v1 (suggested tag keys). */
  analysis_tags: Buffer | null;
  /** 0012: 1 once the keyed hashes of its addresses are in message_addresses. */
  addresses_indexed: Generated<number>;
}

export interface MessageCorrectionsTable {
  id: string;
  user_id: string;
  message_id: string;
  urgency: number | null;
  importance: number | null;
  category: string | null;
  is_spam: number | null;
  previous_source: string | null;
  /** Sealed JSON: message.correction.example.v1. */
  example: Buffer | null;
  /** 0012: JSON array of the tag ids the correction set on the message, or null. */
  tag_ids: string | null;
  created_at: number;
}

export interface TagsTable {
  id: string;
  user_id: string;
  /** Sealed: tag.name.v1. */
  name: Buffer;
  /** Keyed HMAC (tag.name.v1) of the lower-cased name: one name per user, case-insensitive. */
  name_hash: Buffer;
  /** '#rrggbb'. */
  colour: string;
  created_at: number;
  updated_at: number;
}

export interface MessageTagsTable {
  user_id: string;
  message_id: string;
  tag_id: string;
  created_at: number;
}

export interface SenderRulesTable {
  id: string;
  user_id: string;
  kind: 'vip' | 'own_domain';
  /** Sealed: sender_rule.value.v1 (an address pattern or a domain). */
  value: Buffer;
  /** Keyed HMAC (sender_rule.value.v1) of kind and normalised value: no duplicates. */
  value_hash: Buffer;
  created_at: number;
}

export interface MessageAddressesTable {
  user_id: string;
  message_id: string;
  role: 'from' | 'to' | 'cc';
  /** Keyed HMAC (mail.address.v1) of the lower-cased address. */
  address_hash: Buffer;
}

export interface MessageCopiesTable {
  id: string;
  user_id: string;
  message_id: string;
  account_id: string;
  folder_id: string;
  uidvalidity: number;
  uid: number;
  /** Space-separated IMAP flags, sorted. */
  flags: string;
  modseq: number | null;
  internal_date: number | null;
  size: number;
  created_at: number;
  updated_at: number;
}

export interface MessageChunksTable {
  user_id: string;
  message_id: string;
  seq: number;
  /** Sealed: message.source.v1, row id "<message id>:<seq>". */
  data: Buffer;
}

export interface AttachmentsTable {
  id: string;
  user_id: string;
  message_id: string;
  index: number;
  /** Sealed: attachment.filename.v1. */
  filename: Buffer | null;
  content_type: string;
  disposition: string | null;
  /** Sealed: attachment.content_id.v1. */
  content_id: Buffer | null;
  size: number;
  is_inline: number;
  /** Chunks holding the bytes: in attachment_chunks, or (source_seq set) in message_chunks from source_seq on. */
  chunks: number;
  /** First source chunk of the encoded body, when the attachment is stored as part of the source. */
  source_seq: number | null;
  /** Transfer encoding to undo on download when stored in the source ('base64'). */
  encoding: string | null;
}

export interface AttachmentChunksTable {
  user_id: string;
  attachment_id: string;
  seq: number;
  /** Sealed: attachment.data.v1, row id "<attachment id>:<seq>". */
  data: Buffer;
}

export interface CopyTombstonesTable {
  id: string;
  user_id: string;
  message_id: string;
  account_id: string;
  folder_id: string;
  envelope_hash: Buffer;
  message_id_hash: Buffer | null;
  content_hash: Buffer;
  removed_at: number;
}

/** An LLM provider configured by an admin (instance-wide, no owner). */
export interface AiProvidersTable {
  id: string;
  name: string;
  type: 'ollama' | 'openai-compatible' | 'anthropic';
  base_url: string;
  /** Sealed with the instance key: ai_provider.api_key.v1. */
  api_key: Buffer | null;
  /** JSON array of model names. */
  models: string;
  locality: 'local' | 'cloud' | null;
  enabled: number;
  timeout_ms: number;
  concurrency: number;
  daily_token_budget: number | null;
  user_daily_token_budget: number | null;
  created_at: number;
  updated_at: number;
}

export interface UserAiSettingsTable {
  user_id: string;
  provider_id: string | null;
  model: string | null;
  updated_at: number;
}

export interface LlmUsageTable {
  user_id: string;
  provider_id: string;
  day: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
}

export interface LlmCacheTable {
  id: string;
  user_id: string;
  cache_key: Buffer;
  /** Sealed JSON: llm.cache.result.v1. */
  result: Buffer;
  created_at: number;
}
export type PendingKind = 'seen' | 'flagged' | 'location';

/** Write-back operations not yet confirmed by the server (0011). */
export interface PendingOperationsTable {
  id: string;
  user_id: string;
  account_id: string;
  message_id: string;
  copy_id: string;
  kind: PendingKind;
  state: 'pending' | 'failed';
  want_set: number | null;
  orig_set: number | null;
  target_folder_id: string | null;
  orig_folder_id: string;
  orig_uidvalidity: number;
  orig_uid: number;
  orig_flags: string;
  orig_modseq: number | null;
  orig_internal_date: number | null;
  orig_size: number;
  orig_created_at: number;
  error_code: string | null;
  created_at: number;
  updated_at: number;
}
