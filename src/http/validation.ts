import type { z } from 'zod';
import { AppError } from '../errors.js';

/** Parses request input with a zod schema; failures become VALIDATION_FAILED with the paths at fault. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new AppError('VALIDATION_FAILED', 'The request is invalid', 400, {
    issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}
