/** A named check; it resolves when the part is ready and throws (with a reason) when it is not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
  /** Reported, but never makes the instance unready (optional externals such as LLM providers). */
  informational?: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  checks: { name: string; ok: boolean; error?: string; informational?: boolean }[];
}

const CHECK_TIMEOUT_MS = 3000;

/** Later work (key ring, queue) registers its own checks; /readyz runs all of them. */
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly sources: Array<() => Promise<ReadinessCheck[]>> = [];

  register(check: ReadinessCheck): void {
    if (this.checks.has(check.name)) throw new Error(`readiness check "${check.name}" registered twice`);
    this.checks.set(check.name, check);
  }

  /** Checks that come and go at run time (one per configured LLM provider); always informational. */
  registerSource(list: () => Promise<ReadinessCheck[]>): void {
    this.sources.push(list);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async run(): Promise<ReadinessReport> {
    const dynamic: ReadinessCheck[] = [];
    for (const source of this.sources) {
      try {
        dynamic.push(...(await source()).map((c) => ({ ...c, informational: true })));
      } catch (err) {
        dynamic.push({ name: 'dynamic-checks', informational: true, check: () => Promise.reject(err) });
      }
    }
    const results = await Promise.all(
      [...this.checks.values(), ...dynamic].map(async (c) => {
        const info = c.informational ? { informational: true } : {};
        try {
          await withTimeout(c.check(), CHECK_TIMEOUT_MS, `${c.name} check timed out`);
          return { name: c.name, ok: true, ...info };
        } catch (err) {
          return { name: c.name, ok: false, error: err instanceof Error ? err.message : String(err), ...info };
        }
      }),
    );
    return { ready: results.every((r) => r.ok || r.informational), checks: results };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
