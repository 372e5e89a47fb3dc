import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { generateMessages, type GeneratedMessage, type GeneratorOptions, type ImapFlag } from './mail/generator.js';
import { deliverRaw, writeMaildir, type MaildirEntry } from './mail/maildir.js';

export interface MailboxUser {
  name: string;
  password: string;
  maildir: string;
}

export type Via = 'plain' | 'starttls' | 'tls';

export interface TestbedMailbox {
  /** A logged-in imapflow client (self-signed certificate accepted). Close it with `logout()`. */
  connect(user: MailboxUser, options?: { via?: Via } & Partial<ImapFlowOptions>): Promise<ImapFlow>;
  /** Writes messages straight into the user's Maildir (Dovecot picks them up on its next sync). */
  fill(user: MailboxUser, messages: Iterable<GeneratedMessage>): MaildirEntry[];
  fillGenerated(user: MailboxUser, options: GeneratorOptions & { count: number; start?: number }): MaildirEntry[];
  fillRaw(user: MailboxUser, folder: string, sources: Iterable<Buffer>, flags?: readonly ImapFlag[]): string[];
  setFlags(user: MailboxUser, folder: string, uids: number[], flags: string[], mode?: 'add' | 'remove' | 'set'): Promise<void>;
  move(user: MailboxUser, folder: string, uids: number[], destination: string): Promise<void>;
  /** Flags \Deleted and expunges. */
  remove(user: MailboxUser, folder: string, uids: number[]): Promise<void>;
  createFolder(user: MailboxUser, folder: string): Promise<void>;
  status(user: MailboxUser, folder: string): { uidValidity: number; uidNext: number; messages: number };
  /** Gives the folder a new UIDVALIDITY (via doveadm), as a server restore or migration would. */
  changeUidValidity(user: MailboxUser, folder: string): { before: number; after: number };
}

export interface MailboxDeps {
  host: string;
  port: number;
  tlsPort: number;
  doveadm(args: string[]): string;
  chown(path: string): void;
}

export function createMailbox(deps: MailboxDeps): TestbedMailbox {
  const connect: TestbedMailbox['connect'] = async (user, options = {}) => {
    const { via = 'plain', ...rest } = options;
    const client = new ImapFlow({
      host: deps.host,
      port: via === 'tls' ? deps.tlsPort : deps.port,
      secure: via === 'tls',
      doSTARTTLS: via === 'starttls' ? true : via === 'plain' ? false : undefined,
      tls: { rejectUnauthorized: false },
      auth: { user: user.name, pass: user.password },
      logger: false,
      ...rest,
    });
    await client.connect();
    return client;
  };

  const withMailbox = async (user: MailboxUser, folder: string, fn: (c: ImapFlow) => Promise<void>) => {
    const client = await connect(user);
    try {
      const lock = await client.getMailboxLock(folder);
      try {
        await fn(client);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  };

  const status: TestbedMailbox['status'] = (user, folder) => {
    const out = deps.doveadm(['mailbox', 'status', '-u', user.name, 'uidvalidity uidnext messages', folder]);
    const field = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(out)?.[1]);
    return { uidValidity: field('uidvalidity'), uidNext: field('uidnext'), messages: field('messages') };
  };

  const fill: TestbedMailbox['fill'] = (user, messages) => {
    const written = writeMaildir(user.maildir, messages);
    deps.chown(user.maildir);
    return written;
  };

  return {
    connect,
    fill,
    fillGenerated: (user, options) => fill(user, generateMessages(options)),
    fillRaw(user, folder, sources, flags) {
      const files = [...sources].map((source) => deliverRaw(user.maildir, { folder, source, flags }));
      deps.chown(user.maildir);
      return files;
    },
    setFlags: (user, folder, uids, flags, mode = 'set') =>
      withMailbox(user, folder, async (c) => {
        const range = uids.join(',');
        if (mode === 'add') await c.messageFlagsAdd(range, flags, { uid: true });
        else if (mode === 'remove') await c.messageFlagsRemove(range, flags, { uid: true });
        else await c.messageFlagsSet(range, flags, { uid: true });
      }),
    move: (user, folder, uids, destination) =>
      withMailbox(user, folder, async (c) => {
        await c.messageMove(uids.join(','), destination, { uid: true });
      }),
    remove: (user, folder, uids) =>
      withMailbox(user, folder, async (c) => {
        await c.messageDelete(uids.join(','), { uid: true });
      }),
    async createFolder(user, folder) {
      const client = await connect(user);
      try {
        await client.mailboxCreate(folder);
      } finally {
        await client.logout();
      }
    },
    status,
    changeUidValidity(user, folder) {
      const before = status(user, folder).uidValidity;
      const next = before >= 0xfffffffe ? 1 : before + 1;
      deps.doveadm(['mailbox', 'update', '-u', user.name, '--uid-validity', String(next), folder]);
      return { before, after: status(user, folder).uidValidity };
    },
  };
}
