import { uuidv7 } from 'uuidv7';

/**
 * New row id: a lower-case UUIDv7 from the package's process-wide monotonic generator,
 * so ids created in one process sort in creation order even within the same millisecond.
 */
export function newId(): string {
  return uuidv7();
}
