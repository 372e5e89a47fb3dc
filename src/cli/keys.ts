import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { selectKeySource, writeKeyRingFile, type KeySource } from '../crypto/key-providers.js';
import { generateMasterKey, ringWith, ringWithout, type KeyRing } from '../crypto/keyring.js';
import { keyStatus, retireMasterKeyWraps, rewrapAllDataKeys } from '../crypto/rotation.js';
import { createDatabase, type DatabaseHandle } from '../db/database.js';
import { assertSchemaCurrent } from '../db/migrate.js';
import { AppError } from '../errors.js';
import { configOrExit, fail, reportFatal } from './common.js';

const RELOAD_HINT = 'Running processes keep their old ring until they reload: send SIGHUP to every serve, web and worker (or restart them).';

async function withKeys(
  dataDir: string | undefined,
  fn: (ctx: { config: Config; source: KeySource; ring: KeyRing; handle: DatabaseHandle }) => Promise<void>,
): Promise<void> {
  const config = configOrExit({ dataDir });
  try {
    // Tools never create a key: that is `serve`'s job, and a key made here could differ from the server's.
    const source = selectKeySource(config.keys, config.env, { mayGenerate: false });
    const ring = await source.load();
    const handle = createDatabase({ ...config.database, poolSize: 2 });
    try {
      await assertSchemaCurrent(handle.db, handle.dialect);
      await fn({ config, source, ring, handle });
    } finally {
      await handle.close();
    }
  } catch (err) {
    reportFatal(err);
  }
}

function describeSource(source: KeySource): string {
  return source.kind === 'command' ? 'MASTER_KEY_COMMAND' : source.kind === 'env' ? 'MASTER_KEY (development only)' : source.describe;
}

async function retire(ctx: { source: KeySource; ring: KeyRing; handle: DatabaseHandle }, id: string): Promise<void> {
  const { source, ring, handle } = ctx;
  if (id === ring.activeId) fail(`key "${id}" is the active key; rotate first, then retire the old one`);
  const counts = (await keyStatus(ring, handle.db)).wrapsByKey;
  if (!ring.keys.has(id) && !counts.has(id)) fail(`no master key "${id}" in the ring or in the database`);
  const { removedWraps } = await retireMasterKeyWraps(ring, id, handle.db);
  console.log(`removed ${removedWraps} data-key wrap(s) made by ${id}; every data key stays wrapped by ${ring.activeId}`);
  if (!ring.keys.has(id)) return;
  if ((source.kind === 'file' || source.kind === 'default-file') && source.file) {
    writeKeyRingFile(source.file, ringWithout(ring, id));
    console.log(`removed ${id} from ${source.file}. Back up the key file again, apart from the data.`);
  } else {
    console.log(`now remove ${id} from what ${describeSource(source)} provides, then send SIGHUP to every process.`);
  }
}

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('show, rotate and retire master keys (the keys that wrap every user\'s data key)')
    .option('--data-dir <dir>', 'data directory (env DATA_DIR, default ./data)')
    .addHelpText(
      'after',
      `
A rotation, step by step:
  mailhelper keys rotate          add a new active key and re-wrap every data key with it
  (send SIGHUP to every serve/web/worker, or restart them)
  mailhelper keys retire <old>    remove the old key once no data key needs it`,
    );
  const dataDirOf = (cmd: Command) => cmd.parent?.opts().dataDir as string | undefined;

  keys
    .command('status')
    .description('list the keys in the ring, how many data keys each wraps, and whether the ring opens the key canary')
    .action(async (_o, cmd: Command) => {
      await withKeys(dataDirOf(cmd), async ({ source, ring, handle }) => {
        const status = await keyStatus(ring, handle.db);
        console.log(`source: ${describeSource(source)}`);
        const ids = [...new Set([...ring.keys.keys(), ...status.wrapsByKey.keys()])];
        for (const id of ids) {
          const flags = [id === ring.activeId ? 'active' : null, ring.keys.has(id) ? null : 'NOT IN RING'].filter(Boolean);
          console.log(`key ${id}${flags.length ? ` (${flags.join(', ')})` : ''}: wraps ${status.wrapsByKey.get(id) ?? 0} data key(s)`);
        }
        console.log(`data keys: ${status.dataKeys}; not wrapped by the active key: ${status.notWrappedByActive}`);
        console.log(`canary: ${status.canary}`);
        if (status.notWrappedByActive > 0) console.log('run `mailhelper keys rewrap` to wrap them with the active key');
        if (status.canary !== 'ok' && status.canary !== 'missing') process.exitCode = 1;
      });
    });

  keys
    .command('rotate')
    .description('add a new master key (key file only), make it active and re-wrap every data key with it')
    .option('--retire <id>', 'finish an earlier rotation instead: remove key <id> once no data key needs it (same as `keys retire <id>`)')
    .action(async (opts: { retire?: string }, cmd: Command) => {
      await withKeys(dataDirOf(cmd), async (ctx) => {
        if (opts.retire) return retire(ctx, opts.retire);
        const { source, ring, handle } = ctx;
        if (source.kind === 'env') fail('MASTER_KEY comes from the environment; put the ring in a file (MASTER_KEY_FILE) to rotate it');
        if (source.kind === 'command') {
          const result = await rewrapAllDataKeys(ring, handle.db);
          console.log(`re-wrapped ${result.rewrapped} of ${result.dataKeys} data key(s) with the active key ${ring.activeId}`);
          if (result.rewrapped === 0) {
            console.log(`MASTER_KEY_COMMAND provides the ring, so mailhelper cannot add a key to it. To rotate:
  1. generate a key:  openssl rand -base64 32
  2. store it so the command prints the current line(s) and then "<new id>:<new key>" as the LAST line
  3. run \`mailhelper keys rotate\` again: it re-wraps every data key with the new key
  4. send SIGHUP to every process, then \`mailhelper keys retire ${ring.activeId}\` and remove that line`);
          } else {
            console.log(`${RELOAD_HINT}\nThen: mailhelper keys retire <old id>`);
          }
          if (result.unreadable > 0) throw unreadable(result.unreadable);
          return;
        }
        const added = generateMasterKey();
        const next = ringWith(ring, added.id, added.key);
        // The file is written before any data depends on the new key, so a crash cannot strand a wrap.
        writeKeyRingFile(source.file!, next);
        const result = await rewrapAllDataKeys(next, handle.db);
        console.log(`added master key ${added.id} (active) to ${source.file}`);
        console.log(`re-wrapped ${result.rewrapped} of ${result.dataKeys} data key(s) with ${added.id}`);
        console.log('Back up the key file again now, apart from the data.');
        console.log(`${RELOAD_HINT}\nThen: mailhelper keys retire ${[...ring.keys.keys()].join(' / ')}`);
        if (result.unreadable > 0) throw unreadable(result.unreadable);
      });
    });

  keys
    .command('rewrap')
    .description('wrap every data key with the active key (after adding a key by hand, or when retire asks for it)')
    .action(async (_o, cmd: Command) => {
      await withKeys(dataDirOf(cmd), async ({ ring, handle }) => {
        const result = await rewrapAllDataKeys(ring, handle.db);
        console.log(`re-wrapped ${result.rewrapped} of ${result.dataKeys} data key(s) with the active key ${ring.activeId}`);
        if (result.unreadable > 0) throw unreadable(result.unreadable);
      });
    });

  keys
    .command('retire <id>')
    .description('remove master key <id> from the database and the key file, refusing while any data key needs it')
    .action(async (id: string, _o, cmd: Command) => {
      await withKeys(dataDirOf(cmd), (ctx) => retire(ctx, id));
    });
}

function unreadable(n: number): AppError {
  return new AppError('KEYS_UNREADABLE', `${n} data key(s) open with no key of this ring; restore the missing master key`, 500);
}
