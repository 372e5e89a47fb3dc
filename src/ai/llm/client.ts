import type { LanguageModel } from 'ai';
import { llmMetrics, type LlmOutcome } from '../../observability/llm-metrics.js';
import type { AnalysisLanguage } from '../types.js';
import { Limiter } from './limiter.js';
import { parseModelOutput, type LlmOutput } from './output.js';

export const PROVIDER_TYPES = ['ollama', 'openai-compatible', 'anthropic'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** What a call needs of a provider; the API key is opened only for the call and never logged. */
export interface ProviderConnection {
  id: string;
  name: string;
  type: ProviderType;
  /** Ollama: the server root (http://host:11434); OpenAI-compatible and Anthropic: the API base including /v1. */
  baseUrl: string;
  apiKey: string | null;
  timeoutMs: number;
  concurrency: number;
}

/**
 * Why a call did not produce a usable answer. `retryLater`: the provider is down, slow or rate
 * limiting — the message stays pending and the job tries again later; otherwise the message's
 * analysis fails with this code (the built-in result stays).
 */
export type LlmErrorCode = 'LLM_TIMEOUT' | 'LLM_UNAVAILABLE' | 'LLM_RATE_LIMITED' | 'LLM_REJECTED' | 'LLM_INVALID_OUTPUT';

export class LlmCallError extends Error {
  /** Tokens the failed call used anyway (invalid answers), for the budgets. */
  usage = { input: 0, output: 0, requests: 0 };
  constructor(
    readonly code: LlmErrorCode,
    readonly retryLater: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'LlmCallError';
  }
}

export interface CallOptions {
  /** Waits (for Retry-After); injectable so tests see the delays without waiting long. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** 429 answers retried at most this often per request. */
  rateLimitRetries?: number;
  /** A Retry-After longer than this is not waited for: the message stays pending for a later run. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

export interface CallResult {
  output: LlmOutput;
  usage: { input: number; output: number };
  /** HTTP requests made (invalid answers and 429s included). */
  requests: number;
}

const limiters = new Map<string, Limiter>();
/** An analysis answer is a small JSON object. */
const MAX_OUTPUT_TOKENS = 800;
// The SDK prints compatibility warnings with console.warn; they would name models in the server log, not help.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

/** The per-provider concurrency limit, shared by every call in this process. */
function limiterFor(conn: ProviderConnection): Limiter {
  let l = limiters.get(conn.id);
  if (!l) limiters.set(conn.id, (l = new Limiter(conn.concurrency)));
  else l.setLimit(conn.concurrency);
  return l;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * The AI SDK and its providers, loaded on the first call: ≈ 7 MB of RSS (more heap) that an
 * instance without an LLM provider, and the sync, never need.
 */
async function loadSdk() {
  const [ai, anthropic, openaiCompatible, ollama] = await Promise.all([import('ai'), import('@ai-sdk/anthropic'), import('@ai-sdk/openai-compatible'), import('ollama-ai-provider-v2')]);
  return { ai, anthropic, openaiCompatible, ollama };
}
type Sdk = Awaited<ReturnType<typeof loadSdk>>;

function languageModel(sdk: Sdk, conn: ProviderConnection, model: string, fetchImpl?: typeof globalThis.fetch): LanguageModel {
  const auth = conn.apiKey ? { Authorization: `Bearer ${conn.apiKey}` } : undefined;
  switch (conn.type) {
    case 'ollama':
      return sdk.ollama.createOllama({ baseURL: `${trimSlash(conn.baseUrl)}/api`, headers: auth, fetch: fetchImpl }).chat(model);
    case 'openai-compatible':
      return sdk.openaiCompatible.createOpenAICompatible({ name: 'openai-compatible', baseURL: trimSlash(conn.baseUrl), apiKey: conn.apiKey ?? undefined, fetch: fetchImpl }).chatModel(model);
    case 'anthropic':
      return sdk.anthropic.createAnthropic({ baseURL: trimSlash(conn.baseUrl), apiKey: conn.apiKey ?? '', fetch: fetchImpl })(model);
  }
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Retry-After in seconds or as an HTTP date, or retry-after-ms; null when absent. */
export function retryAfterMs(headers: Record<string, string> | undefined, now = Date.now()): number | null {
  if (!headers) return null;
  const get = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const ms = get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const value = get('retry-after')?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function classify(sdk: Sdk, err: unknown, timedOut: boolean): { outcome: LlmOutcome; error: LlmCallError } {
  const { APICallError } = sdk.ai;
  if (timedOut) return { outcome: 'timeout', error: new LlmCallError('LLM_TIMEOUT', true, 'the provider did not answer in time') };
  if (APICallError.isInstance(err)) {
    const status = err.statusCode ?? 0;
    if (status === 429) return { outcome: 'rate_limited', error: new LlmCallError('LLM_RATE_LIMITED', true, 'the provider is rate limiting') };
    if (status >= 500 || status === 0 || status === 408) return { outcome: 'unavailable', error: new LlmCallError('LLM_UNAVAILABLE', true, `the provider answered HTTP ${status || 'no status'}`) };
    if (status === 401 || status === 403) return { outcome: 'rejected', error: new LlmCallError('LLM_REJECTED', true, `the provider refused the credentials (HTTP ${status})`) };
    return { outcome: 'rejected', error: new LlmCallError('LLM_REJECTED', false, `the provider rejected the request (HTTP ${status})`) };
  }
  // fetch failed: connection refused, DNS, reset — the provider is down or unreachable.
  return { outcome: 'unavailable', error: new LlmCallError('LLM_UNAVAILABLE', true, 'the provider could not be reached') };
}

/**
 * Asks the model for an analysis: at most `concurrency` calls per provider at once, each request
 * with the provider's timeout, 429 answers retried after Retry-After (or 1 s, 2 s … without it), and
 * an invalid answer retried once before the call fails with LLM_INVALID_OUTPUT. Nothing here falls
 * back to made-up values.
 */
export async function requestAnalysis(
  conn: ProviderConnection,
  model: string,
  prompt: { system: string; prompt: string },
  language: AnalysisLanguage,
  options: CallOptions = {},
): Promise<CallResult> {
  const sleep = options.sleep ?? defaultSleep;
  const maxRateRetries = options.rateLimitRetries ?? 2;
  const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
  const sdk = await loadSdk();
  const { APICallError, generateText } = sdk.ai;
  const lm = languageModel(sdk, conn, model, options.fetch);
  const usage = { input: 0, output: 0 };
  let requests = 0;

  /** One answer (429s retried inside); the caller records its outcome, valid or not. */
  async function once(): Promise<{ text: string; seconds: number }> {
    for (let rateAttempt = 0; ; rateAttempt++) {
      options.signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(conn.timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      const started = performance.now();
      requests++;
      try {
        const res = await generateText({ model: lm, system: prompt.system, prompt: prompt.prompt, temperature: 0, maxOutputTokens: MAX_OUTPUT_TOKENS, maxRetries: 0, abortSignal: signal });
        const input = res.usage.inputTokens ?? 0;
        const output = res.usage.outputTokens ?? 0;
        usage.input += input;
        usage.output += output;
        llmMetrics.tokens(conn.name, input, output);
        return { text: res.text, seconds: (performance.now() - started) / 1000 };
      } catch (err) {
        options.signal?.throwIfAborted();
        const { outcome, error } = classify(sdk, err, timeout.aborted);
        llmMetrics.request(conn.name, outcome, (performance.now() - started) / 1000);
        if (outcome === 'rate_limited' && rateAttempt < maxRateRetries) {
          const wait = retryAfterMs(APICallError.isInstance(err) ? err.responseHeaders : undefined) ?? 1000 * 2 ** rateAttempt;
          if (wait <= maxRetryAfter) {
            await sleep(wait, options.signal);
            continue;
          }
        }
        throw error;
      }
    }
  }

  const withUsage = (err: unknown) => {
    if (err instanceof LlmCallError) err.usage = { ...usage, requests };
    return err;
  };
  return limiterFor(conn).run(async () => {
    let reason = '';
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await once();
      const parsed = parseModelOutput(answer.text, language);
      llmMetrics.request(conn.name, parsed.ok ? 'ok' : 'invalid_output', answer.seconds);
      if (parsed.ok) return { output: parsed.value, usage, requests };
      reason = parsed.reason;
    }
    throw new LlmCallError('LLM_INVALID_OUTPUT', false, `the model's answer was invalid twice (${reason})`);
  }, options.signal).catch((err: unknown) => {
    throw withUsage(err);
  });
}
