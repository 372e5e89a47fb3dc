import type { KeySource } from './key-providers.js';
import type { KeyRing } from './keyring.js';

/** The ring this process holds. Reloaded only on request (start, SIGHUP), never per operation. */
export interface MasterKeys {
  readonly source: Pick<KeySource, 'kind' | 'describe' | 'file'>;
  current(): KeyRing;
  /**
   * Loads the ring again and switches to it once `accept` (if given) resolves; on any failure the
   * old ring stays in use and the error is thrown.
   */
  reload(accept?: (next: KeyRing) => Promise<void>): Promise<KeyRing>;
}

export async function loadMasterKeys(source: KeySource): Promise<MasterKeys> {
  let ring = await source.load();
  let inFlight: Promise<KeyRing> | null = null;
  return {
    source: { kind: source.kind, describe: source.describe, file: source.file },
    current: () => ring,
    reload(accept) {
      // Two SIGHUPs in a row share one load rather than running the command twice at once.
      inFlight ??= source
        .load()
        .then(async (next) => {
          await accept?.(next);
          return (ring = next);
        })
        .finally(() => {
          inFlight = null;
        });
      return inFlight;
    },
  };
}

/** A fixed ring, for tests and tools that already hold the keys. */
export function staticMasterKeys(ring: KeyRing, describe = 'in memory'): MasterKeys {
  return {
    source: { kind: 'env', describe, file: null },
    current: () => ring,
    async reload(accept) {
      await accept?.(ring);
      return ring;
    },
  };
}
