import type { Command } from 'commander';
import { SCOPES, type Scope } from '../services/tokens.js';
import { fail } from './common.js';
import { withCliContext } from './context.js';

export function registerTokens(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('personal API tokens from the shell (works while serve is running)')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)');

  tokens
    .command('create')
    .description('create an API token for a user and print it once (works before the user has enrolled 2FA)')
    .requiredOption('--user <name>', 'the user who owns the token')
    .option('--name <label>', 'a label to recognise the token by', 'cli')
    .option('--scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')}`, 'read,write')
    .option('--expires-in-days <n>', 'let the token expire after this many days')
    .action(async (opts: { user: string; name: string; scopes: string; expiresInDays?: string }, cmd: Command) => {
      const scopes = opts.scopes.split(',').map((s) => s.trim()) as Scope[];
      const bad = scopes.filter((s) => !SCOPES.includes(s));
      if (bad.length) fail(`unknown scope(s): ${bad.join(', ')}; use ${SCOPES.join(', ')}`);
      const days = opts.expiresInDays ? Number(opts.expiresInDays) : undefined;
      if (days !== undefined && !(Number.isInteger(days) && days > 0)) fail('--expires-in-days must be a whole number above 0');
      await withCliContext(cmd.parent?.opts().dataDir, async (ctx) => {
        const user = await ctx.services.users.findByUsername(opts.user);
        if (!user) fail(`no user named "${opts.user}"`);
        const created = await ctx.services.tokens.create(user.id, { name: opts.name, scopes, expiresInDays: days });
        process.stderr.write(`token ${created.id} for ${user.username} (${created.scopes.join(',')}); it is shown only now:\n`);
        console.log(created.token);
      });
    });

  tokens
    .command('list')
    .description('list a user’s tokens (never the secrets)')
    .requiredOption('--user <name>', 'the user')
    .action(async (opts: { user: string }, cmd: Command) => {
      await withCliContext(cmd.parent?.opts().dataDir, async (ctx) => {
        const user = await ctx.services.users.findByUsername(opts.user);
        if (!user) fail(`no user named "${opts.user}"`);
        for (const t of await ctx.services.tokens.list(user.id)) {
          console.log(`${t.id}\t${t.name}\t${t.scopes.join(',')}\tlast used ${t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : 'never'}`);
        }
      });
    });
}
