import type { Command } from 'commander';
import { redactConfig } from '../config/index.js';
import { runDoctor } from '../observability/doctor.js';
import { configOrExit } from './common.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('print the effective configuration (secrets redacted) and check every part; exits non-zero naming the first failure')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)')
    .action(async (opts: { dataDir?: string }) => {
      const config = configOrExit({ dataDir: opts.dataDir });
      console.log('effective configuration:');
      console.log(JSON.stringify(redactConfig(config), null, 2));
      const checks = await runDoctor(config);
      for (const c of checks) console.log(`${c.ok ? (c.warn ? 'WARN' : 'ok  ') : 'FAIL'}  ${c.name}: ${c.detail}`);
      const firstFailure = checks.find((c) => !c.ok);
      if (firstFailure) {
        process.stderr.write(`mailhelper doctor: ${firstFailure.name} failed: ${firstFailure.detail}\n`);
        process.exit(1);
      }
      console.log('all checks passed');
    });
}
