import type { Command } from 'commander';
import { fail } from './common.js';
import { readStdin, withCliContext, type CliContext } from './context.js';

async function userIdOf(ctx: CliContext, username: string): Promise<string> {
  const user = await ctx.services.users.findByUsername(username);
  if (!user) fail(`no user named "${username}"`);
  return user.id;
}

async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) fail('pipe the password on standard input, e.g. `printf %s "$PW" | mailhelper users add …`');
  const password = await readStdin();
  if (!password) fail('no password on standard input');
  return password;
}

export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description('manage users from the shell (works while serve is running)')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)');
  const dataDir = (cmd: Command) => cmd.parent?.opts().dataDir as string | undefined;

  users
    .command('add')
    .description('create a user; the password is read from standard input')
    .requiredOption('--username <name>', 'the user name (3–64 characters)')
    .option('--password-stdin', 'read the password from standard input (the only way; keeps it out of shell history)')
    .option('--admin', 'make the user an admin')
    .action(async (opts: { username: string; admin?: boolean }, cmd: Command) => {
      await withCliContext(dataDir(cmd), async (ctx) => {
        const password = await passwordFromStdin();
        const user = await ctx.services.users.create({ username: opts.username, password, role: opts.admin ? 'admin' : 'user' }, 'cli');
        console.log(`created ${user.role} ${user.username} (${user.id})`);
      });
    });

  users
    .command('list')
    .description('list users with role and state')
    .action(async (_o, cmd: Command) => {
      await withCliContext(dataDir(cmd), async (ctx) => {
        for (const u of await ctx.services.users.list('cli')) {
          console.log(`${u.username}\t${u.role}\t${u.disabled ? 'disabled' : 'active'}\t${u.id}`);
        }
      });
    });

  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    users
      .command(`${name} <username>`)
      .description(disabled ? 'disable a user and end their sessions' : 'enable a disabled user')
      .action(async (username: string, _o, cmd: Command) => {
        await withCliContext(dataDir(cmd), async (ctx) => {
          await ctx.services.users.setDisabled(await userIdOf(ctx, username), disabled, 'cli');
          console.log(`${username} ${disabled ? 'disabled' : 'enabled'}`);
        });
      });
  }

  users
    .command('set-password <username>')
    .description('set a new password read from standard input; ends the user’s sessions and lifts a lock')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, _o, cmd: Command) => {
      await withCliContext(dataDir(cmd), async (ctx) => {
        const password = await passwordFromStdin();
        await ctx.services.users.setPassword(await userIdOf(ctx, username), password, 'cli');
        console.log(`password of ${username} changed; their sessions ended`);
      });
    });

  users
    .command('reset-2fa <username>')
    .description('turn off a user’s two-factor sign-in (lost phone and recovery codes); they enrol again at next sign-in')
    .action(async (username: string, _o, cmd: Command) => {
      await withCliContext(dataDir(cmd), async (ctx) => {
        await ctx.services.twoFactor.disable(await userIdOf(ctx, username));
        console.log(`two-factor sign-in of ${username} reset`);
      });
    });

  users
    .command('delete <username>')
    .description('delete a user and ALL their data (accounts, mail, settings); the mail servers are not touched')
    .option('--yes', 'confirm')
    .action(async (username: string, opts: { yes?: boolean }, cmd: Command) => {
      if (!opts.yes) fail(`this deletes ${username} and all their data; repeat with --yes to confirm`);
      await withCliContext(dataDir(cmd), async (ctx) => {
        await ctx.services.users.delete(await userIdOf(ctx, username), 'cli');
        console.log(`${username} deleted`);
      });
    });
}
