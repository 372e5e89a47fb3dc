import fs from 'node:fs';
import { expect, it } from 'vitest';
import { PROFILE_CAPABILITIES, type Dovecot } from '../../support/dovecot.js';
import { describeWithDovecot } from '../../support/testbed.js';

async function capabilities(server: Dovecot, via: 'plain' | 'starttls' | 'tls'): Promise<{ caps: string[]; secure: boolean }> {
  const user = server.users[0] ?? server.createUser('capa');
  const client = await server.connect(user, { via });
  const caps = [...client.capabilities.keys()];
  const secure = client.secureConnection || via === 'starttls';
  await client.logout();
  return { caps, secure };
}

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('test bed server', profile, (ctx) => {
    it('advertises the profile’s capabilities after login, on the cleartext, STARTTLS and IMAPS ports', async () => {
      const expected = PROFILE_CAPABILITIES[profile];
      for (const via of ['plain', 'starttls', 'tls'] as const) {
        const { caps, secure } = await capabilities(ctx.server, via);
        for (const c of expected.present) expect(caps, `${via}: ${c}`).toContain(c);
        for (const c of expected.absent) expect(caps, `${via}: ${c}`).not.toContain(c);
        if (via !== 'plain') expect(secure).toBe(true);
      }
    });
  });
}

describeWithDovecot('test bed mailbox operations', 'full', (ctx) => {
  it('serves generated mail with the manifest’s flags, folders and bytes', async () => {
    const user = ctx.server.createUser('filler');
    const entries = ctx.server.fillGenerated(user, { seed: 7, count: 60 });
    const inbox = entries.filter((e) => e.folder === 'INBOX');
    const client = await ctx.server.connect(user);
    try {
      const folders = (await client.list()).map((f) => f.path);
      for (const folder of new Set(entries.map((e) => e.folder))) expect(folders).toContain(folder);
      const lock = await client.getMailboxLock('INBOX');
      try {
        const seen = new Map<string, { flags: string[]; sha: string }>();
        for await (const msg of client.fetch('1:*', { envelope: true, flags: true, source: true })) {
          const { createHash } = await import('node:crypto');
          seen.set(msg.envelope!.messageId!, { flags: [...msg.flags!].sort(), sha: createHash('sha256').update(msg.source!).digest('hex') });
        }
        expect(seen.size).toBe(inbox.length);
        for (const e of inbox.filter((x) => !x.malformed)) {
          expect(seen.get(e.messageId)?.sha, e.messageId).toBe(e.sha256);
          expect(seen.get(e.messageId)?.flags.filter((f) => f !== '\\Recent')).toEqual([...e.flags].sort());
        }
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('changes flags, moves and deletes messages, and changes UIDVALIDITY', async () => {
    const user = ctx.server.createUser('changer');
    ctx.server.fillGenerated(user, { seed: 3, count: 40, kinds: ['plain'] });
    const before = ctx.server.status(user, 'INBOX');
    expect(before.messages).toBeGreaterThan(3);

    await ctx.server.setFlags(user, 'INBOX', [1], ['\\Flagged', '\\Seen']);
    await ctx.server.createFolder(user, 'Trash');
    await ctx.server.move(user, 'INBOX', [2], 'Trash');
    await ctx.server.remove(user, 'INBOX', [3]);
    const client = await ctx.server.connect(user);
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const first = await client.fetchOne('1', { flags: true }, { uid: true });
        expect(first && [...first.flags!].sort()).toEqual(['\\Flagged', '\\Seen']);
        const uids = (await client.search({ all: true }, { uid: true })) as number[];
        expect(uids).not.toContain(2);
        expect(uids).not.toContain(3);
      } finally {
        lock.release();
      }
      const trash = await client.status('Trash', { messages: true });
      expect(trash && trash.messages).toBe(1);
    } finally {
      await client.logout();
    }
    expect(ctx.server.status(user, 'INBOX').messages).toBe(before.messages - 2);

    const change = ctx.server.changeUidValidity(user, 'INBOX');
    expect(change.after).not.toBe(change.before);
    const again = await ctx.server.connect(user);
    try {
      const box = await again.mailboxOpen('INBOX');
      expect(Number(box.uidValidity)).toBe(change.after);
    } finally {
      await again.logout();
    }
  });

  it('delivers raw .eml sources unchanged', async () => {
    const user = ctx.server.createUser('raw');
    const source = Buffer.from('From: a@example.org\r\nSubject: raw\r\nMessage-ID: <raw-1@example.org>\r\n\r\nhello\r\n');
    ctx.server.fillRaw(user, 'Import', [source], ['\\Seen']);
    const client = await ctx.server.connect(user);
    try {
      const lock = await client.getMailboxLock('Import');
      try {
        const msg = await client.fetchOne('1', { source: true, flags: true }).catch((e) => {
          throw new Error(`${e.message}: ${e.responseText}`);
        });
        expect(msg && msg.source!.equals(source)).toBe(true);
        expect(msg && [...msg.flags!]).toContain('\\Seen');
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });
});

describeWithDovecot('test bed lifecycle', 'plain', (ctx) => {
  it('stops cleanly: the master and every process it started are gone, and so is its directory', async () => {
    const { startDovecot } = await import('../../support/dovecot.js');
    const extra = await startDovecot({ profile: 'plain' });
    const user = extra.createUser('lifecycle');
    const client = await extra.connect(user); // an imap process exists now
    const pids = extra.processIds();
    expect(pids.length).toBeGreaterThan(2);
    const dir = user.maildir.split('/home/')[0]!;
    await extra.stop();
    await client.close();
    for (const pid of pids) expect(fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), `pid ${pid}`).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
    expect(ctx.server.processIds().length).toBeGreaterThan(0); // the suite's own server is untouched
  });
});
