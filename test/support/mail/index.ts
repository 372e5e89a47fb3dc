/** Test-mail generator: deterministic per seed, writes Maildir + manifest. See docs/testing.md. */
import path from 'node:path';
import { generateMessages, type GeneratorOptions } from './generator.js';
import { writeMaildir, writeManifest, type Manifest } from './maildir.js';

export * from './generator.js';
export * from './maildir.js';
export { MESSAGE_KINDS, MALFORMED_KINDS, WELL_FORMED_KINDS, isMalformed, type MessageKind } from './kinds.js';

/** Generates `count` messages into a Maildir at `root` and writes `manifest.json` beside it (or where asked). */
export function generateMaildir(root: string, options: GeneratorOptions & { count: number; start?: number; manifestPath?: string | null }): Manifest {
  const { manifestPath, ...genOptions } = options;
  const messages = writeMaildir(root, generateMessages(genOptions));
  const manifest: Manifest = {
    generator: { seed: options.seed, count: options.count, start: options.start ?? 0, sizeMix: options.sizeMix ?? null, kinds: options.kinds ?? null },
    messages,
  };
  if (manifestPath !== null) writeManifest(manifestPath ?? path.join(root, 'manifest.json'), manifest);
  return manifest;
}
