import { afterAll, beforeAll, describe, it } from 'vitest';
import { dovecotMissing, startDovecot, type Dovecot, type DovecotProfile, type TestUser } from './dovecot.js';
import { serviceMissing } from './services.js';

/**
 * Runs a suite against a private Dovecot in the given profile, started once for the suite.
 * Without Dovecot: skipped with a one-line reason, or failed in CI.
 */
export function describeWithDovecot(name: string, profile: DovecotProfile, body: (ctx: { readonly server: Dovecot }) => void): void {
  const missing = dovecotMissing();
  const state = missing ? serviceMissing(missing) : 'ok';
  if (state === 'skip') {
    describe.skip(`${name} [dovecot ${profile}]`, () => {
      it('needs Dovecot');
    });
    return;
  }
  describe(`${name} [dovecot ${profile}]`, () => {
    if (state === 'fail') {
      it('has Dovecot', () => {
        throw new Error(missing!);
      });
      return;
    }
    let server: Dovecot | undefined;
    const ctx = {
      get server() {
        if (!server) throw new Error('Dovecot not started yet (use it inside tests or beforeAll)');
        return server;
      },
    };
    beforeAll(async () => {
      server = await startDovecot({ profile });
    });
    afterAll(async () => {
      await server?.stop();
    });
    body(ctx);
  });
}

/**
 * Adds the test user's mailbox on the private Dovecot as a mail account of the signed-in client
 * (plain IMAP on loopback, a window wide enough for any generated date) and returns its id.
 */
export async function addBedAccount(
  client: { post(url: string, body: unknown): Promise<{ statusCode: number; body: string; json(): any }> },
  server: Dovecot,
  user: TestUser,
  password: string,
  name: string,
): Promise<string> {
  const created = await client.post('/api/accounts', {
    name,
    imap: { host: server.host, port: server.port, security: 'none', user: user.name, password },
    initialWindow: { sinceDays: 36_500 },
  });
  if (created.statusCode !== 201) throw new Error(`adding the test account failed: ${created.statusCode} ${created.body}`);
  return created.json().id as string;
}
