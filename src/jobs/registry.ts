import type { z } from 'zod';
import { JobPayloadInvalidError, JobTypeUnknownError } from './errors.js';
import type { BackoffPolicy } from './backoff.js';
import type { JobContext, JobLane } from './types.js';

/** One job type: what it accepts, how long it may run, how often it may be tried, and what it does. */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  type: string;
  payload: S;
  /** Raised whenever the payload shape changes; a stored job with another version fails with a clear reason. */
  payloadVersion: number;
  timeLimitMs: number;
  maxAttempts: number;
  lane: JobLane;
  backoff?: BackoffPolicy;
  /** Results carry ids and counts only. */
  run(payload: z.output<S>, ctx: JobContext): Promise<Record<string, unknown> | void>;
}

/** Keeps the payload type of each definition checked against its handler. */
export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition {
  return definition as unknown as JobDefinition;
}

export interface JobRegistry {
  get(type: string): JobDefinition | undefined;
  definitions(): JobDefinition[];
  /** Refuses an unknown type or a payload its schema rejects, with a code the API can show. */
  validate(type: string, payload: unknown): { definition: JobDefinition; payload: unknown };
}

const typeName = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;

export function createJobRegistry(definitions: JobDefinition[]): JobRegistry {
  const byType = new Map<string, JobDefinition>();
  for (const d of definitions) {
    if (!typeName.test(d.type)) throw new Error(`job type "${d.type}" must be dotted lower-case words (no ":")`);
    if (byType.has(d.type)) throw new Error(`job type "${d.type}" registered twice`);
    if (d.maxAttempts < 1 || d.timeLimitMs < 1 || d.payloadVersion < 1) throw new Error(`job type "${d.type}" has invalid limits`);
    byType.set(d.type, d);
  }
  return {
    get: (type) => byType.get(type),
    definitions: () => [...byType.values()],
    validate(type, payload) {
      const definition = byType.get(type);
      if (!definition) throw new JobTypeUnknownError(type);
      const parsed = definition.payload.safeParse(payload);
      if (!parsed.success) {
        throw new JobPayloadInvalidError(
          type,
          parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        );
      }
      return { definition, payload: parsed.data };
    },
  };
}
