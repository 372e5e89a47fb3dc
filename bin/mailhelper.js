#!/usr/bin/env node
// Thin launcher: the CLI is compiled into dist/ by `npm run build` (run by `npm install` via prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('mailhelper: dist/ is missing; run `npm run build` (npm install does this for you).');
  process.exit(1);
}
await import(entry.href);
