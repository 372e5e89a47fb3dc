/**
 * Every column of every user table (a table with a `user_id` column, and `users` itself), marked
 * either `encrypted(context)` — stored sealed, with that context bound into the ciphertext — or
 * `plaintext(reason)`, saying why it may be read without the user's key. A test compares this with
 * the migrated schema on both databases, so a new column cannot slip in unmarked.
 * docs/security.md summarises what the plaintext columns reveal.
 */
export type ColumnRule = { kind: 'encrypted'; context: string } | { kind: 'plaintext'; reason: string };

export const encrypted = (context: string): ColumnRule => ({ kind: 'encrypted', context });
export const plaintext = (reason: string): ColumnRule => ({ kind: 'plaintext', reason });

export type ColumnRegistry = Record<string, Record<string, ColumnRule>>;

const ROW_ID = 'row id: a random UUIDv7, reveals only when the row was created';
const OWNER = 'owner: every query is scoped by it';

export const columnRegistry: ColumnRegistry = {
  users: {
    id: plaintext(ROW_ID),
    username: plaintext('login looks the user up by name (case-insensitive, unique) before any key is available; admins list users'),
    role: plaintext('access control, checked before any key is unwrapped'),
    password_hash: plaintext('argon2id hash: already one-way, and needed to verify the login'),
    is_disabled: plaintext('account state, checked at login'),
    language: plaintext('interface language, needed before login (e-mails, pages)'),
    created_at: plaintext('account metadata shown to admins'),
    updated_at: plaintext('account metadata shown to admins'),
    password_changed_at: plaintext('ends sessions that started before a password change'),
    locked_until: plaintext('lock after wrong second factors, checked at login before any key is available'),
    totp_secret: encrypted('user.totp_secret.v1'),
    totp_enabled_at: plaintext('whether sign-in asks for a second factor; checked at login'),
    totp_last_step: plaintext('the last used TOTP time step, so a code works once; reveals when the user last signed in with a code'),
  },
  recovery_codes: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    code_hash: plaintext('SHA-256 of an 80-bit random code: one-way, needed to check a code at login'),
    used_at: plaintext('makes each code single-use'),
    created_at: plaintext('when the codes were issued'),
  },
  api_tokens: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    name: plaintext('the label the user gave the token, shown in their token list; chosen by the user, not mail content'),
    token_hash: plaintext('SHA-256 of a 256-bit random token: one-way, needed to find the token on each request'),
    scopes: plaintext('access control, checked on each request'),
    created_at: plaintext('token metadata'),
    last_used_at: plaintext('shown to the owner so unused tokens can be revoked'),
    expires_at: plaintext('expiry, checked on each request'),
  },
  jobs: {
    id: plaintext(ROW_ID),
    type: plaintext('job type name, needed to pick the handler'),
    payload: plaintext('ids and counts only: a test checks every job type against forbidden fields'),
    payload_version: plaintext('payload schema version'),
    user_id: plaintext(OWNER),
    lane: plaintext('scheduling lane'),
    key: plaintext('mutual-exclusion key, an account id'),
    state: plaintext('job state'),
    cancel_requested: plaintext('cancellation flag'),
    attempts: plaintext('retry counter'),
    max_attempts: plaintext('retry limit'),
    run_at: plaintext('when the job may run'),
    locked_by: plaintext('which worker holds it (host and pid)'),
    lock_expires_at: plaintext('lease expiry'),
    progress: plaintext('counts only (folders done, messages fetched)'),
    result: plaintext('ids and counts only'),
    error_code: plaintext('stable error code'),
    error_message: plaintext('our own error text; foreign error text is replaced by its class name'),
    created_at: plaintext('job timing'),
    updated_at: plaintext('job timing'),
    started_at: plaintext('job timing'),
    finished_at: plaintext('job timing'),
  },
  job_runs: {
    id: plaintext(ROW_ID),
    job_id: plaintext('the job this run belongs to'),
    type: plaintext('job type name'),
    user_id: plaintext(OWNER),
    lane: plaintext('scheduling lane'),
    state: plaintext('terminal state'),
    attempts: plaintext('attempts used'),
    error_code: plaintext('stable error code'),
    error_message: plaintext('our own error text; foreign error text is replaced by its class name'),
    created_at: plaintext('job timing'),
    started_at: plaintext('job timing'),
    finished_at: plaintext('job timing'),
    duration_ms: plaintext('job timing'),
  },
  accounts: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    name: encrypted('account.name.v1'),
    settings: encrypted('account.settings.v1'),
    provider: plaintext('preset id (gmail, gmx …): reveals the mail provider'),
    state: plaintext('sync state for the scheduler, health and admins'),
    sync_interval_minutes: plaintext('scheduler setting'),
    initial_window_days: plaintext('sync setting'),
    initial_max_per_folder: plaintext('sync setting'),
    capabilities: plaintext('the IMAP server software features (CONDSTORE …); reveals the server type'),
    last_sync_at: plaintext('sync health'),
    last_error_code: plaintext('stable error code for health views'),
    last_error_message: plaintext('our own error text, never server replies or content'),
    last_error_at: plaintext('sync health'),
    created_at: plaintext('account metadata'),
    updated_at: plaintext('account metadata'),
  },
  folders: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    account_id: plaintext('owning account'),
    path: encrypted('folder.path.v1'),
    path_hash: plaintext('keyed HMAC of the path: equal paths match, nothing else is revealed'),
    delimiter: plaintext('hierarchy separator character'),
    role: plaintext('special-use role (inbox, sent, trash …)'),
    is_synced: plaintext('sync selection'),
    is_gone: plaintext('the folder no longer exists on the server'),
    uidvalidity: plaintext('IMAP sync state'),
    uidnext: plaintext('IMAP sync state; reveals roughly how many messages ever arrived'),
    highestmodseq: plaintext('IMAP sync state'),
    message_count: plaintext('folder size, shown in the UI and used to detect deletions'),
    unseen_count: plaintext('unread count, shown in the UI'),
    synced_count: plaintext('IMAP sync state: the count at the last sync, to notice deletions'),
    last_full_check_at: plaintext('sync state'),
    last_flag_check_at: plaintext('sync state'),
    last_error_code: plaintext('stable error code of the last folder failure'),
    created_at: plaintext('folder metadata'),
    updated_at: plaintext('folder metadata'),
  },
  threads: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    root_hash: plaintext('keyed HMAC of the root Message-ID: replies find their thread; equal ids match, nothing else is revealed'),
    subject_hash: plaintext('keyed HMAC of the normalised subject: the subject fallback finds a thread; equal subjects match, nothing else'),
    last_date: plaintext('sorts threads; the date of the newest message'),
    message_count: plaintext('thread size'),
    created_at: plaintext('thread metadata'),
    updated_at: plaintext('thread metadata'),
  },
  thread_keys: {
    user_id: plaintext(OWNER),
    thread_id: plaintext('owning thread'),
    kind: plaintext("'ref' (Message-ID) or 'addr' (participant address)"),
    key_hash: plaintext('keyed HMAC of a Message-ID or an address: later replies and parents find their thread; equal values match, nothing else is revealed'),
    first_date: plaintext('date window of the subject fallback'),
    last_date: plaintext('date window of the subject fallback'),
  },
  sync_runs: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    account_id: plaintext('owning account'),
    started_at: plaintext('sync health'),
    finished_at: plaintext('sync health'),
    outcome: plaintext('sync health: ok, partial or failed'),
    error_code: plaintext('stable error code of a failed run, never server text'),
    folders: plaintext('per folder: folder id, strategy code, counts, duration, error code; folder names stay sealed in folders.path'),
  },
  messages: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    account_id: plaintext('owning account'),
    thread_id: plaintext('which messages form a conversation (reveals conversation sizes, not content)'),
    email_id: plaintext("the server's opaque message id (EMAILID, X-GM-MSGID): re-attaches copies"),
    message_id_hash: plaintext('keyed HMAC of the Message-ID: threading and identity; equal ids match, nothing else'),
    content_hash: plaintext('keyed HMAC of the raw source: identity across copies; useless without the data key'),
    envelope_hash: plaintext('keyed HMAC of date, sender, subject and size: re-attaches copies after moves and UIDVALIDITY changes'),
    date: plaintext('sort key of every list; reveals when mail arrived'),
    size: plaintext('message size: quotas and sync; reveals roughly how large a message is'),
    has_attachments: plaintext('list filter and icon'),
    is_calendar: plaintext('list hint: the message carries an invitation'),
    is_newsletter: plaintext('list hint from List-* / Precedence headers'),
    envelope: encrypted('message.envelope.v1'),
    body_text: encrypted('message.text.v1'),
    body_html: encrypted('message.html.v1'),
    snippet: encrypted('message.snippet.v1'),
    calendar: encrypted('message.calendar.v1'),
    parse_warnings: plaintext('parser warning codes only (e.g. BROKEN_BOUNDARY), never content'),
    source_chunks: plaintext('how many chunks hold the raw source'),
    copy_count: plaintext('how many server copies the message has'),
    is_seen: plaintext('unread state, aggregated from the copies: lists and counts'),
    is_flagged: plaintext('flagged state, aggregated from the copies: lists and counts'),
    is_answered: plaintext('answered state, aggregated from the copies'),
    is_done: plaintext('the user marked it done: lists and counts'),
    done_at: plaintext('when it was marked done'),
    created_at: plaintext('message metadata'),
    updated_at: plaintext('message metadata'),
    urgency: plaintext('effective analysis level 1–3: the dashboard counts cells in SQL; reveals how pressing a message was rated'),
    importance: plaintext('effective analysis level 1–3: the dashboard counts cells in SQL'),
    score: plaintext('2·urgency + importance, sorts the dashboard'),
    colour: plaintext('red/yellow/green from the score: list filter'),
    category: plaintext('analysis category (newsletter, action_required …): list filter; reveals the kind of mail'),
    is_spam: plaintext('spam verdict: excluded from counts'),
    confidence: plaintext('analyser confidence 0–1'),
    analysis_source: plaintext('who rated it (builtin, user, llm:…)'),
    analysis_status: plaintext('pending/done/failed: the analysis job finds pending work'),
    analysis_error: plaintext('stable error code only, never content'),
    analysed_at: plaintext('when it was analysed'),
    analysis_summary: encrypted('message.summary.v1'),
    analysis_reasons: encrypted('message.reasons.v1'),
    analysis_tags: encrypted('message.tags.v1'),
    addresses_indexed: plaintext('whether the keyed hashes of its addresses were indexed (analysis bookkeeping)'),
  },
  message_corrections: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    message_id: plaintext('the corrected message'),
    urgency: plaintext('corrected level, mirrored on the message row in plain for the dashboard'),
    importance: plaintext('corrected level, mirrored on the message row in plain for the dashboard'),
    category: plaintext('corrected category, mirrored on the message row'),
    is_spam: plaintext('corrected spam verdict, mirrored on the message row'),
    previous_source: plaintext('which analyser the user corrected'),
    example: encrypted('message.correction.example.v1'),
    tag_ids: plaintext('ids of the tags the correction set (random UUIDs, no names)'),
    created_at: plaintext('when the user corrected it'),
  },
  tags: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    name: encrypted('tag.name.v1'),
    name_hash: plaintext('keyed HMAC of the lower-cased name: keeps names unique per user; equal names match, nothing else'),
    colour: plaintext('display colour (#rrggbb) chosen by the user'),
    created_at: plaintext('tag metadata'),
    updated_at: plaintext('tag metadata'),
  },
  message_tags: {
    user_id: plaintext(OWNER),
    message_id: plaintext('the tagged message'),
    tag_id: plaintext('the tag: the list filter by tag runs in SQL'),
    created_at: plaintext('when the tag was assigned'),
  },
  sender_rules: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    kind: plaintext('vip or own_domain: which list the entry belongs to'),
    value: encrypted('sender_rule.value.v1'),
    value_hash: plaintext('keyed HMAC of the normalised pattern or domain: no duplicates per list'),
    created_at: plaintext('when the entry was added'),
  },
  message_addresses: {
    user_id: plaintext(OWNER),
    message_id: plaintext('the message the address appears on'),
    role: plaintext('from, to or cc'),
    address_hash: plaintext('keyed HMAC of the lower-cased address: counts earlier correspondence; equal addresses match, nothing else'),
  },
  user_ai_settings: {
    user_id: plaintext(OWNER),
    provider_id: plaintext('which admin-configured provider analyses this user\'s mail; checked before any key is unwrapped'),
    model: plaintext('the chosen model name of that provider'),
    updated_at: plaintext('when the choice changed'),
  },
  llm_usage: {
    user_id: plaintext(OWNER),
    provider_id: plaintext('the provider the tokens were spent on, for the per-provider budget'),
    day: plaintext('UTC day of the usage, for daily budgets'),
    requests: plaintext('a count, for budgets and the admin overview'),
    input_tokens: plaintext('a count, for budgets'),
    output_tokens: plaintext('a count, for budgets'),
  },
  llm_cache: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    cache_key: plaintext('the user\'s keyed HMAC of prompt, provider and model: equality only, reveals no content'),
    result: encrypted('llm.cache.result.v1'),
    created_at: plaintext('for pruning old entries'),
  },
  pending_operations: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    account_id: plaintext('owning account'),
    message_id: plaintext('the message the user acted on'),
    copy_id: plaintext('the copy the operation applies to'),
    kind: plaintext('seen, flagged or location: which state is pending'),
    state: plaintext('pending or failed'),
    want_set: plaintext('the wanted \\Seen/\\Flagged value, as on the message row'),
    orig_set: plaintext('the value before the change, for a revert'),
    target_folder_id: plaintext('folder id of a move (null: delete permanently)'),
    orig_folder_id: plaintext('folder id before the move, as on message_copies'),
    orig_uidvalidity: plaintext('IMAP sync state, as on message_copies'),
    orig_uid: plaintext('IMAP sync state, as on message_copies'),
    orig_flags: plaintext('IMAP flags and keywords before the change, as on message_copies'),
    orig_modseq: plaintext('IMAP sync state, as on message_copies'),
    orig_internal_date: plaintext('as on message_copies'),
    orig_size: plaintext('as on message_copies'),
    orig_created_at: plaintext('as on message_copies'),
    error_code: plaintext('a stable error code, never server text'),
    created_at: plaintext('operation metadata'),
    updated_at: plaintext('operation metadata'),
  },
  message_copies: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    message_id: plaintext('the logical message'),
    account_id: plaintext('owning account'),
    folder_id: plaintext('folder of the copy'),
    uidvalidity: plaintext('IMAP sync state'),
    uid: plaintext('IMAP sync state'),
    flags: plaintext('IMAP flags and keywords, synced both ways; keywords may be user-chosen labels'),
    modseq: plaintext('IMAP sync state (CONDSTORE)'),
    internal_date: plaintext('when the server received the copy'),
    size: plaintext('RFC822.SIZE, matched at re-attachment'),
    created_at: plaintext('copy metadata'),
    updated_at: plaintext('copy metadata'),
  },
  message_chunks: {
    user_id: plaintext(OWNER),
    message_id: plaintext('the message the chunk belongs to'),
    seq: plaintext('chunk order'),
    data: encrypted('message.source.v1'),
  },
  attachments: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    message_id: plaintext('the message the attachment belongs to'),
    index: plaintext('position in the message, used in download URLs'),
    filename: encrypted('attachment.filename.v1'),
    content_type: plaintext('MIME type: icons and safe download handling; reveals the kind of file'),
    disposition: plaintext('inline or attachment'),
    content_id: encrypted('attachment.content_id.v1'),
    size: plaintext('attachment size, shown in lists'),
    is_inline: plaintext('inline image referenced from the HTML'),
    chunks: plaintext('how many chunks hold the content'),
    source_seq: plaintext('first source chunk of the still-encoded body, when stored as part of the source'),
    encoding: plaintext('transfer encoding of a body stored in the source (base64)'),
  },
  attachment_chunks: {
    user_id: plaintext(OWNER),
    attachment_id: plaintext('the attachment the chunk belongs to'),
    seq: plaintext('chunk order'),
    data: encrypted('attachment.data.v1'),
  },
  copy_tombstones: {
    id: plaintext(ROW_ID),
    user_id: plaintext(OWNER),
    message_id: plaintext('the message whose copy was removed'),
    account_id: plaintext('owning account'),
    folder_id: plaintext('the folder the copy was removed from'),
    envelope_hash: plaintext('keyed HMAC, as on messages: re-attaches a moved copy'),
    message_id_hash: plaintext('keyed HMAC, as on messages'),
    content_hash: plaintext('keyed HMAC, as on messages'),
    removed_at: plaintext('tombstones expire after 7 days'),
  },
  sessions: {
    id_hash: plaintext('SHA-256 of the 256-bit cookie value: useless without the cookie, needed to find the session'),
    user_id: plaintext(OWNER),
    csrf_token: plaintext('checked on every state change; worthless without the session cookie'),
    created_at: plaintext('session metadata (timeouts)'),
    last_seen_at: plaintext('idle timeout'),
    expires_at: plaintext('absolute timeout'),
    step_up_at: plaintext('when the password was last re-entered (step-up window)'),
    ip: plaintext('client address of the session, shown to its owner; reveals where they signed in from'),
    user_agent: plaintext('browser name shown in the session list; reveals the device type'),
    state: plaintext('whether the session still waits for its second factor'),
  },
  audit_events: {
    id: plaintext(ROW_ID),
    user_id: plaintext('the user the event concerns; admins read the audit log without user keys'),
    actor_id: plaintext('who acted; admins read the audit log without user keys'),
    event: plaintext('event name (login.ok, user.created …), never a secret'),
    ip: plaintext('client address for security review'),
    details: plaintext('small counters and roles only, never secrets or content'),
    created_at: plaintext('event time'),
  },
  user_keys: {
    user_id: plaintext(OWNER),
    version: plaintext('which data key a sealed value needs (it is in the ciphertext header too)'),
    created_at: plaintext('key metadata'),
  },
  user_key_wraps: {
    user_id: plaintext(OWNER),
    version: plaintext('which data key this wrap holds'),
    master_key_id: plaintext('which master key unwraps it; needed to unwrap, rotate and retire'),
    wrapped_key: plaintext('the data key encrypted by a master key (AES-256-GCM): already ciphertext'),
    created_at: plaintext('key metadata'),
  },
};

export interface SchemaTable {
  name: string;
  columns: { name: string; dataType: string }[];
}

const BINARY_TYPES = new Set(['blob', 'bytea']);
const TEXTUAL_TYPES = new Set(['text', 'blob', 'bytea', 'varchar', 'character varying', 'char', 'character', 'json', 'jsonb']);

export function isUserTable(table: SchemaTable): boolean {
  return table.name === 'users' || table.columns.some((c) => c.name === 'user_id');
}

export function isTextOrBlob(dataType: string): boolean {
  return TEXTUAL_TYPES.has(dataType.toLowerCase());
}

/**
 * Differences between the registry and a schema: unmarked columns of user tables, entries for
 * tables or columns that do not exist, encrypted columns that are not binary, and two encrypted
 * columns sharing a context (which would let a ciphertext move between them). Empty when all is well.
 */
export function findRegistryProblems(tables: SchemaTable[], registry: ColumnRegistry = columnRegistry): string[] {
  const problems: string[] = [];
  const byName = new Map(tables.map((t) => [t.name, t]));
  for (const table of tables.filter(isUserTable)) {
    const rules = registry[table.name];
    for (const column of table.columns) {
      if (!rules?.[column.name]) {
        const kind = isTextOrBlob(column.dataType) ? 'text/blob column' : 'column';
        problems.push(`${table.name}.${column.name}: ${kind} missing from the column registry; mark it encrypted(context) or plaintext(reason)`);
      }
    }
  }
  const contexts = new Map<string, string>();
  for (const [tableName, rules] of Object.entries(registry)) {
    const table = byName.get(tableName);
    if (!table) {
      problems.push(`${tableName}: in the column registry but no such table exists`);
      continue;
    }
    if (!isUserTable(table)) problems.push(`${tableName}: in the column registry but not a user table (no user_id column)`);
    for (const [columnName, rule] of Object.entries(rules)) {
      const column = table.columns.find((c) => c.name === columnName);
      const where = `${tableName}.${columnName}`;
      if (!column) {
        problems.push(`${where}: in the column registry but no such column exists`);
        continue;
      }
      if (rule.kind === 'plaintext' && rule.reason.trim() === '') problems.push(`${where}: plaintext without a reason`);
      if (rule.kind === 'encrypted') {
        if (!BINARY_TYPES.has(column.dataType.toLowerCase())) problems.push(`${where}: encrypted but stored as ${column.dataType}, not a blob`);
        const other = contexts.get(rule.context);
        if (other) problems.push(`${where}: shares encryption context "${rule.context}" with ${other}`);
        contexts.set(rule.context, where);
      }
    }
  }
  return problems;
}

/** Every encrypted column with its context, for checks that stored values are sealed. */
export function encryptedColumns(registry: ColumnRegistry = columnRegistry): { table: string; column: string; context: string }[] {
  return Object.entries(registry).flatMap(([table, rules]) =>
    Object.entries(rules).flatMap(([column, rule]) => (rule.kind === 'encrypted' ? [{ table, column, context: rule.context }] : [])),
  );
}
