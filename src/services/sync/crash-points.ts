/**
 * Named crash points for the crash tests: when MAILHELPER_CRASH_AT names this point, the process
 * dies on the spot (SIGKILL: no cleanup, no finally blocks), exactly like a power cut would.
 *
 * `MAILHELPER_CRASH_AT=after-commit` dies the first time the point is reached; `after-commit#7`
 * the seventh time (so a crash can land in any batch, not only the first).
 */
export const CRASH_POINTS = ['after-fetch', 'after-prepare', 'mid-transaction', 'after-commit', 'after-commit-before-state'] as const;
/**
 * - after-fetch: a batch's sources are read from the server, nothing parsed yet
 * - after-prepare: parsed and sealed, no transaction open
 * - mid-transaction: the batch's rows are written, the transaction not committed
 * - after-commit: the batch is committed, the next batch not begun
 * - after-commit-before-state: every batch of the folder is committed, the folder's state (UIDVALIDITY, UIDNEXT, counts) not yet written
 */
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** `points`: the crash points of the command that reads MAILHELPER_CRASH_AT (the sync's by default). */
export function parseCrashAt<P extends string = CrashPoint>(crashAt: string | null, points: readonly P[] = CRASH_POINTS as unknown as readonly P[]): { point: P; occurrence: number } | null {
  if (!crashAt) return null;
  const m = /^([a-z-]+)(?:#(\d+))?$/.exec(crashAt.trim());
  if (!m || !(points as readonly string[]).includes(m[1]!)) throw new Error(`MAILHELPER_CRASH_AT: unknown crash point "${crashAt}" (known: ${points.join(', ')}, optionally #n)`);
  return { point: m[1] as P, occurrence: Math.max(1, Number(m[2] ?? 1)) };
}

export function createCrashPoints<P extends string = CrashPoint>(crashAt: string | null, points?: readonly P[]) {
  const target = parseCrashAt<P>(crashAt, points);
  let seen = 0;
  return (point: P): void => {
    if (target?.point === point && ++seen === target.occurrence) process.kill(process.pid, 'SIGKILL');
  };
}

export type CrashHook = ReturnType<typeof createCrashPoints>;
