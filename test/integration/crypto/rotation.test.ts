import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCrypto, type Crypto } from '../../../src/crypto/crypto.js';
import { selectKeySource, writeKeyRingFile } from '../../../src/crypto/key-providers.js';
import { generateMasterKey, parseKeyRing, ringWith, ringWithout, type KeyRing } from '../../../src/crypto/keyring.js';
import { loadMasterKeys, staticMasterKeys } from '../../../src/crypto/master-keys.js';
import { keyStatus, retireMasterKeyWraps, rewrapAllDataKeys } from '../../../src/crypto/rotation.js';
import { loadConfig } from '../../../src/config/index.js';
import { insertTestUser } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';

describeEachDialect('master key rotation', (ctx) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-rotate-'));
  const file = path.join(dir, 'master.key');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fileProcess = async () => {
    const source = selectKeySource(loadConfig({ MASTER_KEY_FILE: file }).keys, 'production', { mayGenerate: false });
    return createCrypto({ ring: await loadMasterKeys(source), db: ctx.db });
  };
  const readRing = () => parseKeyRing(fs.readFileSync(file, 'utf8'), file);

  let oldId: string;
  let oldProcess: Crypto; // a running process that has not reloaded since before the rotation
  const sealed: { userId: string; rowId: string; value: Buffer; text: string }[] = [];

  beforeAll(async () => {
    const first = generateMasterKey();
    oldId = first.id;
    writeKeyRingFile(file, { keys: new Map([[first.id, first.key]]), activeId: first.id });
    oldProcess = await fileProcess();
    await oldProcess.ensureCanary();
    for (let i = 0; i < 5; i++) {
      const userId = await insertTestUser(ctx.db);
      const cipher = await oldProcess.ensureUserKey(userId);
      const text = `message ${i}`;
      sealed.push({ userId, rowId: `row-${i}`, value: cipher.sealText('message.subject.v1', `row-${i}`, text), text });
    }
  });

  const openAll = async (crypto: Crypto) =>
    Promise.all(sealed.map((s) => crypto.openText(s.userId, 'message.subject.v1', s.rowId, s.value)));

  it('rotate adds a key and re-wraps every data key; data opens with only the new key', async () => {
    const ring = readRing();
    const added = generateMasterKey();
    const next = ringWith(ring, added.id, added.key);
    writeKeyRingFile(file, next);
    const result = await rewrapAllDataKeys(next, ctx.db, undefined, 2); // small pages cross page boundaries
    expect(result).toEqual({ dataKeys: 5, rewrapped: 5, unreadable: 0 });
    expect((await rewrapAllDataKeys(next, ctx.db)).rewrapped).toBe(0); // idempotent

    const onlyNew: KeyRing = { keys: new Map([[added.id, added.key]]), activeId: added.id };
    const newProcess = createCrypto({ ring: staticMasterKeys(onlyNew), db: ctx.db });
    expect(await openAll(newProcess)).toEqual(sealed.map((s) => s.text));
    await expect(newProcess.checkCanary()).resolves.toBeUndefined();
  });

  it('a process still on the old ring keeps working, even for users it never cached and users it creates', async () => {
    oldProcess.forget(sealed[0]!.userId);
    expect(await openAll(oldProcess)).toEqual(sealed.map((s) => s.text));
    await expect(oldProcess.checkCanary()).resolves.toBeUndefined();
    const late = await insertTestUser(ctx.db);
    const value = (await oldProcess.ensureUserKey(late)).sealText('message.subject.v1', 'late', 'made on the old ring');
    sealed.push({ userId: late, rowId: 'late', value, text: 'made on the old ring' });
  });

  it('retire refuses while a data key is wrapped only by the old key, then succeeds after a re-wrap', async () => {
    const ring = readRing();
    const status = await keyStatus(ring, ctx.db);
    expect(status.notWrappedByActive).toBe(1);
    await expect(retireMasterKeyWraps(ring, oldId, ctx.db)).rejects.toMatchObject({ code: 'KEY_RETIRE_REFUSED' });
    expect((await keyStatus(ring, ctx.db)).wrapsByKey.get(oldId)).toBe(6); // nothing was removed

    expect((await rewrapAllDataKeys(ring, ctx.db)).rewrapped).toBe(1);
    expect(await retireMasterKeyWraps(ring, oldId, ctx.db)).toEqual({ removedWraps: 6 });
    writeKeyRingFile(file, ringWithout(ring, oldId));
    const after = await keyStatus(readRing(), ctx.db);
    expect(after.wrapsByKey.has(oldId)).toBe(false);
    expect(after).toMatchObject({ dataKeys: 6, notWrappedByActive: 0, canary: 'ok' });
  });

  it('after retirement the stale process fails readiness and uncached users until it reloads; then all opens', async () => {
    await expect(oldProcess.checkCanary()).rejects.toMatchObject({ code: 'KEY_RING_MISMATCH' });
    for (const s of sealed) oldProcess.forget(s.userId);
    await expect(oldProcess.forUser(sealed[1]!.userId)).rejects.toMatchObject({ code: 'MASTER_KEY_UNAVAILABLE' });

    await oldProcess.reload(); // what SIGHUP does
    await expect(oldProcess.checkCanary()).resolves.toBeUndefined();
    expect(await openAll(oldProcess)).toEqual(sealed.map((s) => s.text));
    expect(await openAll(await fileProcess())).toEqual(sealed.map((s) => s.text));
  });

  it('a reload that would load a key not matching this database keeps the working ring', async () => {
    const good = fs.readFileSync(file, 'utf8');
    const stranger = generateMasterKey();
    writeKeyRingFile(file, { keys: new Map([[stranger.id, stranger.key]]), activeId: stranger.id });
    await expect(oldProcess.reload()).rejects.toMatchObject({ code: 'KEY_RING_MISMATCH' });
    for (const s of sealed) oldProcess.forget(s.userId);
    expect(await openAll(oldProcess)).toEqual(sealed.map((s) => s.text));
    fs.writeFileSync(file, good);
  });

  it('the active key cannot be retired', async () => {
    const ring = readRing();
    await expect(retireMasterKeyWraps(ring, ring.activeId, ctx.db)).rejects.toThrow(/active key/);
  });
});
