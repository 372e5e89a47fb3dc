/** The queue as every caller sees it; the embedded and (later) BullMQ back-ends both implement it. */
export type JobLane = 'interactive' | 'bulk';
export type JobState = 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';
export const terminalStates: readonly JobState[] = ['completed', 'failed', 'cancelled'];

/** Counts only (messages fetched, folders done …), so progress can never carry content. */
export type JobProgress = Record<string, number>;

export interface EnqueueOptions {
  /** The owner; null for system jobs (maintenance). Ownership comes from this row, never from payload data. */
  userId: string | null;
  lane?: JobLane;
  delayMs?: number;
  /** Mutual-exclusion key (e.g. an account id): one job per key runs at a time, under a fenced lease. */
  key?: string | null;
  maxAttempts?: number;
}

export interface JobError {
  code: string;
  message: string;
}

export interface JobStatus {
  id: string;
  type: string;
  state: JobState;
  lane: JobLane;
  userId: string | null;
  key: string | null;
  progress: JobProgress | null;
  result: Record<string, unknown> | null;
  error: JobError | null;
  attempts: number;
  maxAttempts: number;
  cancelRequested: boolean;
  runAt: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface ListOptions {
  limit?: number;
  state?: JobState;
  /** The last job of the previous page (newest first). */
  after?: { createdAt: number; id: string };
}

export interface JobQueue {
  enqueue(type: string, payload: unknown, options: EnqueueOptions): Promise<JobStatus>;
  /** Another user's job answers JOB_NOT_FOUND, exactly like a missing one. */
  status(jobId: string, userId: string): Promise<JobStatus>;
  /** A queued job is cancelled at once; a running one is told to stop through its AbortSignal. */
  cancel(jobId: string, userId: string): Promise<JobStatus>;
  list(userId: string, options?: ListOptions): Promise<JobStatus[]>;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  jobId: string;
  userId: string | null;
  attempt: number;
  /** Aborted on the time limit, on cancel, on shutdown past the grace period and when the lease is lost. */
  signal: AbortSignal;
  /** The fenced lease on the job's key; pass it to assertFence inside every write transaction. */
  lease: { key: string; token: number } | null;
  progress(counts: JobProgress): Promise<void>;
}

/** Pushed to the owner's event stream (SSE) on every web process. */
export type JobEvent =
  | { type: 'job.progress'; userId: string; jobId: string; jobType: string; progress: JobProgress }
  | { type: 'job.completed'; userId: string; jobId: string; jobType: string; result: Record<string, unknown> | null }
  | { type: 'job.failed'; userId: string; jobId: string; jobType: string; state: 'failed' | 'cancelled'; error: JobError };

/** Pushed when mail changed outside the tab's own request (write-back, another tab): ids only, never content. */
export type MailEvent =
  | { type: 'messages.changed'; userId: string; accountIds: string[]; messageIds: string[] }
  | { type: 'counts.changed'; userId: string; accountIds: string[] };

/** Everything a user's event stream carries. */
export type UserEvent = JobEvent | MailEvent;
