import { expect, it } from 'vitest';
import { newId } from '../../../src/db/ids.js';
import { describeAccounts } from '../../../src/mail/doctor-checks.js';
import { accountsRepository } from '../../../src/repositories/accounts.js';
import { insertTestUser } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';

describeEachDialect('doctor: mail accounts', (ctx) => {
  it('lists each account with its state and the sync-relevant capabilities of its server', async () => {
    expect(await describeAccounts(ctx.db)).toBe('no mail accounts yet');
    const userId = await insertTestUser(ctx.db);
    const id = newId();
    const sealed = Buffer.from('not read by doctor');
    await accountsRepository.insert(ctx.db, userId, { id, name: sealed, settings: sealed, provider: null, syncIntervalMinutes: 5, initialWindowDays: 90, initialMaxPerFolder: 5000, capabilities: null }, Date.now());
    expect(await describeAccounts(ctx.db)).toContain(`${id} idle: not connected yet`);
    await accountsRepository.setCapabilities(ctx.db, id, ['IMAP4REV1', 'IDLE', 'CONDSTORE', 'AUTH=PLAIN', 'LITERAL+']);
    expect(await describeAccounts(ctx.db)).toContain(`${id} idle: IDLE CONDSTORE`);
  });
});
