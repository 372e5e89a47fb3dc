import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

// A process warning during the tests (deprecations, leaked listeners) is a defect: fail the file.
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
process.on('warning', onWarning);

afterAll(() => {
  process.off('warning', onWarning);
  if (warnings.length > 0) throw new Error(`process warnings during tests:\n${warnings.join('\n')}`);
});

// The embedded default master key lives in $XDG_CONFIG_HOME; no test (nor a CLI it spawns) may touch the real one.
const xdgConfigHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-xdg-'));
process.env.XDG_CONFIG_HOME = xdgConfigHome;
afterAll(() => fs.rmSync(xdgConfigHome, { recursive: true, force: true }));
