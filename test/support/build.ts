import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Tests that spawn the CLI run dist/; rebuild it when any source is newer, so they never test stale code. */
export function ensureBuilt(): void {
  const marker = path.join(root, 'dist/cli/main.js');
  const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
  if (newestMtime(path.join(root, 'src')) > built) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    fs.utimesSync(marker, new Date(), new Date());
  }
}

/** Browser tests need the built UI (dist/web); rebuild it when web/ or the Vite config is newer. */
export function ensureWebBuilt(): void {
  const marker = path.join(root, 'dist/web/index.html');
  const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
  const newest = Math.max(newestMtime(path.join(root, 'web')), fs.statSync(path.join(root, 'vite.config.ts')).mtimeMs);
  if (newest > built) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  }
}

export const projectRoot = root;
export const cliPath = path.join(root, 'bin/mailhelper.js');
