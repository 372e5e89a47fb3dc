import { appSettings } from './0001-app-settings.js';
import { users } from './0002-users.js';
import { userKeys } from './0003-user-keys.js';
import { auth } from './0004-auth.js';
import { jobs } from './0005-jobs.js';
import { access } from './0006-access.js';
import { accounts } from './0007-accounts.js';
import { messages } from './0008-messages.js';
import { folderSyncCount } from './0009-folder-sync-count.js';
import { analysis } from './0010-analysis.js';
import { pendingOperations } from './0011-pending-operations.js';
import { tagsAndSenders } from './0012-tags-and-senders.js';
import { threadKeysSyncRuns } from './0013-thread-keys-sync-runs.js';
import { llm } from './0014-llm.js';
import { attachmentSourceRanges } from './0015-attachment-source-ranges.js';
import { identityIndexes } from './0016-identity-indexes.js';
import { analysisIndexes } from './0017-analysis-indexes.js';
import type { SchemaMigration } from './types.js';

/** Every migration, in order. Names sort in this order; add new ones at the end. */
export const migrations: SchemaMigration[] = [appSettings, users, userKeys, auth, jobs, access, accounts, messages, folderSyncCount, analysis, pendingOperations, tagsAndSenders, threadKeysSyncRuns, llm, attachmentSourceRanges, identityIndexes, analysisIndexes];
