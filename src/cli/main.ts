import { Command } from 'commander';
import { registerBackup } from './backup.js';
import { registerDb } from './db.js';
import { registerDoctor } from './doctor.js';
import { registerKeys } from './keys.js';
import { registerMigrate } from './migrate.js';
import { registerServe } from './serve.js';
import { registerTokens } from './tokens.js';
import { registerUsers } from './users.js';
import { registerWorker } from './worker.js';

const program = new Command()
  .name('mailhelper')
  .description('KI-Mail-Helper: a self-hosted, multi-user AI mail assistant')
  .version('0.1.0')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Modes (chosen by DATABASE_URL and REDIS_URL alone):
  SQLite (default, ./data/mailhelper.db) + embedded queue   one \`serve\` process
  PostgreSQL + embedded queue                              any number of serve/web/worker
  PostgreSQL + REDIS_URL (BullMQ)                          any number of web/worker

Configuration comes from the environment; see .env.example.`,
  );

registerServe(program, 'serve');
registerServe(program, 'web');
registerWorker(program);
registerMigrate(program);
registerDb(program);
registerBackup(program);
registerDoctor(program);
registerUsers(program);
registerTokens(program);
registerKeys(program);

await program.parseAsync(process.argv);
