import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { expectEncryptedColumnsSealed } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';
import { ADMIN, ALICE, TestClient, testClock } from '../../support/http-client.js';
import { totpAt } from '../../../src/services/auth/totp.js';
import type { Services } from '../../../src/services/index.js';

describeEachDialect('two-factor sign-in and step-up', (ctx) => {
  let app: FastifyInstance;
  let services: Services;
  const clock = testClock();
  let secret = '';
  let recoveryCodes: string[] = [];
  beforeAll(async () => {
    ({ app, services } = await buildTestApp(ctx.handle, { TWO_FACTOR_POLICY: 'required' }, { now: clock.now }));
    await services.users.create({ ...ADMIN, role: 'admin' }, 'cli');
    await services.users.create({ ...ALICE, role: 'user' }, 'cli');
  });
  afterAll(async () => app?.close());

  it('under the required policy a user without 2FA can only enrol', async () => {
    const alice = new TestClient(app, '192.0.2.50');
    await alice.login(ALICE.username, ALICE.password);
    expect((await alice.get('/api/me')).json().twoFactor).toEqual({ enabled: false, recoveryCodesLeft: 0, required: true });
    const blocked = await alice.get('/api/audit');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
  });

  it('enrolment needs a recent password, returns a QR code, and is confirmed with a code', async () => {
    const alice = new TestClient(app, '192.0.2.51');
    await alice.login(ALICE.username, ALICE.password);
    clock.advance(6 * 60_000);
    const stale = await alice.post('/api/me/2fa/enroll');
    expect(stale.json().error.code).toBe('STEP_UP_REQUIRED');
    expect((await alice.post('/api/auth/step-up', { password: 'wrong-password-here' })).statusCode).toBe(401);
    expect((await alice.post('/api/auth/step-up', { password: ALICE.password })).statusCode).toBe(200);

    const enrol = await alice.post('/api/me/2fa/enroll');
    expect(enrol.statusCode).toBe(200);
    const body = enrol.json();
    expect(body.otpauthUri).toMatch(/^otpauth:\/\/totp\/KI-Mail-Helper%3Aalice\?secret=[A-Z2-7]{32}&/);
    expect(body.qrSvg).toMatch(/^<svg /);
    secret = body.secret;

    expect((await alice.post('/api/me/2fa/confirm', { code: '000000' })).json().error.code).toBe('TWO_FACTOR_CODE_INVALID');
    const confirmed = await alice.post('/api/me/2fa/confirm', { code: totpAt(secret, clock.now()) });
    expect(confirmed.statusCode).toBe(200);
    recoveryCodes = confirmed.json().recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await alice.get('/api/me')).json().twoFactor).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });

    // The secret is stored sealed with Alice's data key; recovery codes only as hashes.
    expect(await expectEncryptedColumnsSealed(ctx.db)).toBeGreaterThan(0);
    const stored = await ctx.db.selectFrom('recovery_codes').select('code_hash').execute();
    expect(stored.map((r) => r.code_hash)).not.toContain(recoveryCodes[0]);
    expect(JSON.stringify(await ctx.db.selectFrom('users').selectAll().execute())).not.toContain(secret);
  });

  it('sign-in asks for the code; a code works once; a recovery code works once', async () => {
    clock.advance(60_000);
    const alice = new TestClient(app, '192.0.2.52');
    const first = await alice.post('/api/auth/login', ALICE);
    expect(first.json()).toMatchObject({ twoFactorRequired: true });
    expect(first.json().user).toBeUndefined();
    const waiting = await alice.get('/api/me');
    expect(waiting.json().error.code).toBe('TWO_FACTOR_REQUIRED');
    const pendingCookie = alice.cookie;

    const code = totpAt(secret, clock.now());
    const done = await alice.post('/api/auth/2fa', { code });
    expect(done.statusCode).toBe(200);
    expect(alice.cookie).not.toBe(pendingCookie); // the session id rotates once fully signed in
    expect((await alice.get('/api/audit')).statusCode).toBe(200);

    const replay = new TestClient(app, '192.0.2.53');
    await replay.post('/api/auth/login', ALICE);
    expect((await replay.post('/api/auth/2fa', { code })).json().error.code).toBe('TWO_FACTOR_CODE_INVALID');
    expect((await replay.post('/api/auth/2fa', { recoveryCode: recoveryCodes[0]!.toUpperCase() })).statusCode).toBe(200);

    const again = new TestClient(app, '192.0.2.54');
    await again.post('/api/auth/login', ALICE);
    expect((await again.post('/api/auth/2fa', { recoveryCode: recoveryCodes[0] })).statusCode).toBe(401);
    expect((await again.get('/api/me')).statusCode).toBe(401);
  });

  it('wrong codes after a correct password lock the account for 15 minutes', async () => {
    clock.advance(20 * 60_000);
    const attacker = new TestClient(app, '192.0.2.60');
    await attacker.post('/api/auth/login', ALICE);
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await attacker.post('/api/auth/2fa', { code: String(100000 + i) });
      codes.push(res.json().error?.code ?? String(res.statusCode));
      if (res.statusCode === 429) clock.advance(60_000);
    }
    expect(codes).toContain('ACCOUNT_LOCKED');
    const locked = await new TestClient(app, '192.0.2.61').post('/api/auth/login', ALICE);
    expect(locked.statusCode).toBe(423);
    const audit = await ctx.db.selectFrom('audit_events').select('event').where('event', '=', 'login.locked').execute();
    expect(audit).toHaveLength(1);

    clock.advance(16 * 60_000);
    const back = new TestClient(app, '192.0.2.62');
    await back.post('/api/auth/login', ALICE);
    expect((await back.post('/api/auth/2fa', { code: totpAt(secret, clock.now()) })).statusCode).toBe(200);
  });

  it('an operator can reset a lost second factor', async () => {
    const aliceId = (await services.users.findByUsername('alice'))!.id;
    await services.twoFactor.disable(aliceId);
    const alice = new TestClient(app, '192.0.2.70');
    const res = await alice.post('/api/auth/login', ALICE);
    expect(res.json().user.username).toBe('alice');
    expect((await alice.get('/api/audit')).json().error.code).toBe('TWO_FACTOR_ENROLLMENT_REQUIRED');
  });
});
