import { createCrypto } from '../../src/crypto/crypto.js';
import { generateMasterKey } from '../../src/crypto/keyring.js';
import { staticMasterKeys } from '../../src/crypto/master-keys.js';
import { newId } from '../../src/db/ids.js';
import { prepareBatch } from '../../src/services/sync/message-prepare.js';
import { parseMessage } from '../../src/mail/mime/parse.js';
import PostalMime from 'postal-mime';
import { CORPUS } from '../../test/support/mail/corpus.js';
import { generateMessages } from '../../test/support/mail/generator.js';
import { withDatabase } from '../database.js';

const msgs = [...generateMessages({ seed: 1, count: 500, sizeMix: CORPUS.sizeMix })];
const cpu = () => { const u = process.resourceUsage(); return (u.userCPUTime + u.systemCPUTime) / 1e6; };
let c = cpu();
for (const m of msgs) await PostalMime.parse(m.source);
console.log(`postal-mime parse: ${(cpu() - c).toFixed(2)} s cpu`);
c = cpu();
for (const m of msgs) await parseMessage(m.source, {});
console.log(`product parse: ${(cpu() - c).toFixed(2)} s cpu`);
await withDatabase('sqlite', async (h) => {
  const { id: keyId, key } = generateMasterKey();
  const crypto = createCrypto({ ring: staticMasterKeys({ keys: new Map([[keyId, key]]), activeId: keyId }), db: h.db });
  const userId = newId(); const now = Date.now();
  await h.db.insertInto('users').values({ id: userId, username: 'b', role: 'user', password_hash: 'x', is_disabled: 0, language: 'en', created_at: now, updated_at: now, password_changed_at: now }).execute();
  const cipher = await crypto.ensureUserKey(userId);
  c = cpu();
  for (let i = 0; i < msgs.length; i += 50) {
    const items = msgs.slice(i, i + 50).map((m, k) => ({ uid: i + k + 1, flags: m.flags, internalDate: m.dateMs, raw: m.source }));
    await prepareBatch(cipher, { userId, accountId: newId(), folderId: newId(), uidvalidity: 1, items }, {});
  }
  console.log(`product prepareBatch (parse inline): ${(cpu() - c).toFixed(2)} s cpu`);
});
