import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmCallError, requestAnalysis, retryAfterMs, type ProviderConnection, type ProviderType } from '../../../src/ai/llm/client.js';
import { providerLocality } from '../../../src/ai/llm/locality.js';
import { deadUrl, startStandIn, validAnswer, type StandIn } from '../../support/llm-stand-in.js';

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(async () => standIn.close());
beforeEach(() => {
  standIn.received.length = 0;
  standIn.script.length = 0;
  standIn.answer = () => validAnswer();
});

const conn = (type: ProviderType, over: Partial<ProviderConnection> = {}): ProviderConnection => ({
  id: `p-${type}`,
  name: type,
  type,
  baseUrl: type === 'ollama' ? standIn.ollamaBase : standIn.openaiBase,
  apiKey: type === 'ollama' ? null : 'sk-test-secret',
  timeoutMs: 5000,
  concurrency: 2,
  ...over,
});
const prompt = { system: 'rate it', prompt: 'Subject: Rechnung\n\nBitte zahlen Sie die Rechnung bis Freitag.' };

describe('LLM client against the stand-in', () => {
  it.each([
    ['openai-compatible', 'openai', '/v1/chat/completions'],
    ['ollama', 'ollama', '/api/chat'],
    ['anthropic', 'anthropic', '/v1/messages'],
  ] as const)('%s: speaks the provider API and returns validated output with usage', async (type, api, path) => {
    const res = await requestAnalysis(conn(type), 'test-model', prompt, 'de');
    expect(res.output).toMatchObject({ urgency: 3, importance: 3, category: 'action_required', tags: ['invoice', 'deadline'] });
    expect(res.usage).toEqual({ input: 120, output: 30 });
    expect(standIn.received).toHaveLength(1);
    expect(standIn.received[0]).toMatchObject({ api, path });
    expect(standIn.received[0]!.body.model).toBe('test-model');
    expect(standIn.received[0]!.text).toContain('Bitte zahlen Sie die Rechnung bis Freitag.');
    if (type === 'anthropic') expect(standIn.received[0]!.headers['x-api-key']).toBe('sk-test-secret');
    if (type === 'openai-compatible') expect(standIn.received[0]!.headers.authorization).toBe('Bearer sk-test-secret');
  });

  it('retries an invalid answer once, then fails with LLM_INVALID_OUTPUT', async () => {
    standIn.script.push({ kind: 'answer', content: 'Sure! Here is my analysis: urgent.' });
    const ok = await requestAnalysis(conn('openai-compatible'), 'm', prompt, 'de');
    expect(ok.output.urgency).toBe(3);
    expect(ok.requests).toBe(2);

    standIn.received.length = 0;
    standIn.script.push({ kind: 'answer', content: '{"urgency": 5}' }, { kind: 'answer', content: 'not json at all' });
    const err = await requestAnalysis(conn('ollama'), 'm', prompt, 'de').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmCallError);
    expect((err as LlmCallError).code).toBe('LLM_INVALID_OUTPUT');
    expect((err as LlmCallError).retryLater).toBe(false);
    expect(standIn.received).toHaveLength(2);
  });

  it('rejects a summary in another language than the message', async () => {
    standIn.script.push(
      { kind: 'answer', content: validAnswer('Please pay the invoice by Friday because it is overdue and the reminder was sent.') },
      { kind: 'answer', content: validAnswer('Please pay the invoice by Friday because it is overdue and the reminder was sent.') },
    );
    const err = await requestAnalysis(conn('openai-compatible'), 'm', prompt, 'de').catch((e: unknown) => e);
    expect((err as LlmCallError).code).toBe('LLM_INVALID_OUTPUT');
    expect((err as Error).message).toContain('language');
  });

  it('waits as long as Retry-After says on a 429, then succeeds', async () => {
    const waits: number[] = [];
    standIn.script.push({ kind: 'status', status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'slow down', type: 'rate_limit' } } });
    const res = await requestAnalysis(conn('openai-compatible'), 'm', prompt, 'de', { sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([2000]);
    expect(res.requests).toBe(2);
    expect(standIn.received).toHaveLength(2);
  });

  it('gives up on a Retry-After longer than the limit, for a later run (retryLater)', async () => {
    standIn.script.push({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } });
    const waits: number[] = [];
    const err = await requestAnalysis(conn('anthropic'), 'm', prompt, 'de', { sleep: async (ms) => void waits.push(ms) }).catch((e: unknown) => e);
    expect((err as LlmCallError).code).toBe('LLM_RATE_LIMITED');
    expect((err as LlmCallError).retryLater).toBe(true);
    expect(waits).toEqual([]);
  });

  it('times out a provider that does not answer', async () => {
    standIn.script.push({ kind: 'hang' });
    const err = await requestAnalysis(conn('ollama', { timeoutMs: 300 }), 'm', prompt, 'de').catch((e: unknown) => e);
    expect((err as LlmCallError).code).toBe('LLM_TIMEOUT');
    expect((err as LlmCallError).retryLater).toBe(true);
  });

  it('reports a provider that is down as unavailable (retry later)', async () => {
    const err = await requestAnalysis(conn('openai-compatible', { baseUrl: `${await deadUrl()}/v1` }), 'm', prompt, 'de').catch((e: unknown) => e);
    expect((err as LlmCallError).code).toBe('LLM_UNAVAILABLE');
    expect((err as LlmCallError).retryLater).toBe(true);
  });

  it('keeps at most `concurrency` requests in flight per provider', async () => {
    let inFlight = 0;
    let most = 0;
    const slowFetch: typeof fetch = async (input, init) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 30));
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const c = conn('openai-compatible', { id: 'p-limited', concurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, () => requestAnalysis(c, 'm', prompt, 'de', { fetch: slowFetch })));
    expect(most).toBe(2);
    expect(standIn.received).toHaveLength(6);
  });
});

describe('retryAfterMs and providerLocality', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(retryAfterMs({ 'Retry-After': '3' })).toBe(3000);
    expect(retryAfterMs({ 'retry-after-ms': '250' })).toBe(250);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4000)).toBe(6000);
    expect(retryAfterMs({})).toBeNull();
  });

  it('is cloud for any non-loopback host unless an admin says otherwise', () => {
    expect(providerLocality('http://127.0.0.1:11434', null)).toBe('local');
    expect(providerLocality('http://localhost:11434', null)).toBe('local');
    expect(providerLocality('http://[::1]:8080/v1', null)).toBe('local');
    expect(providerLocality('http://192.168.1.20:11434', null)).toBe('cloud');
    expect(providerLocality('https://api.openai.com/v1', null)).toBe('cloud');
    expect(providerLocality('https://127.0.0.1.evil.com/v1', null)).toBe('cloud');
    expect(providerLocality('not a url', null)).toBe('cloud');
    expect(providerLocality('http://192.168.1.20:11434', 'local')).toBe('local');
    expect(providerLocality('http://127.0.0.1:9000', 'cloud')).toBe('cloud');
  });
});
