/**
 * Named crash points for the crash tests: when MAILHELPER_CRASH_AT names this point, the process
 * dies on the spot (SIGKILL: no cleanup, no finally blocks), exactly like a power cut would.
 */
export type CrashPoint = 'after-fetch' | 'after-prepare' | 'mid-transaction' | 'after-commit';

export function createCrashPoints(crashAt: string | null) {
  return (point: CrashPoint): void => {
    if (crashAt === point) process.kill(process.pid, 'SIGKILL');
  };
}

export type CrashHook = ReturnType<typeof createCrashPoints>;
