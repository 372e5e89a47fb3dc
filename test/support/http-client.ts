import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

/** A browser-like client for app.inject: keeps the session cookie and sends the CSRF token. */
export class TestClient {
  cookie: string | null = null;
  csrfToken: string | null = null;

  constructor(
    private readonly app: FastifyInstance,
    readonly ip = '127.0.0.1',
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async request(method: InjectOptions['method'], url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method,
      url,
      remoteAddress: this.ip,
      payload: body === undefined ? undefined : JSON.stringify(body),
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrfToken && method !== 'GET' ? { 'x-csrf-token': this.csrfToken } : {}),
        ...this.extraHeaders,
        ...headers,
      },
    });
    const setCookie = res.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = line.split(';');
      if (/^(__Host-)?mh_session=/.test(pair!)) this.cookie = /=$/.test(pair!) || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line) ? null : pair!;
    }
    const json = res.headers['content-type']?.toString().includes('json') ? res.json() : null;
    if (json && typeof json.csrfToken === 'string') this.csrfToken = json.csrfToken;
    return res;
  }

  get(url: string) {
    return this.request('GET', url);
  }
  post(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('POST', url, body, headers);
  }
  patch(url: string, body?: unknown) {
    return this.request('PATCH', url, body);
  }
  delete(url: string) {
    return this.request('DELETE', url);
  }

  async login(username: string, password: string): Promise<LightMyRequestResponse> {
    const res = await this.post('/api/auth/login', { username, password });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
    return res;
  }
}

/** A clock tests can move. */
export function testClock(start = Date.UTC(2026, 10, 28, 12, 0, 0)) {
  const clock = { t: start, now: () => clock.t, advance: (ms: number) => void (clock.t += ms) };
  return clock;
}

export const ADMIN = { username: 'admin', password: 'correct horse battery staple' };
export const ALICE = { username: 'alice', password: 'alice-has-a-long-passphrase' };
export const BOB = { username: 'bob', password: 'bob-has-another-passphrase' };
