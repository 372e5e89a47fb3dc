import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The URL of a worker script next to the module at `base`. Workers run compiled JavaScript: from
 * dist/ that is the file beside the caller; when the caller runs from its TypeScript source (tests),
 * it is the same path under dist/ (`npm run build` writes it).
 */
export function compiledWorkerUrl(file: string, base: string): URL {
  const here = new URL(file, base);
  if (fs.existsSync(fileURLToPath(here))) return here;
  const at = here.href.lastIndexOf('/src/');
  return new URL(`${here.href.slice(0, at)}/dist/${here.href.slice(at + '/src/'.length)}`);
}
