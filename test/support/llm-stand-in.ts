import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for LLM providers on 127.0.0.1 (random port), speaking the OpenAI
 * chat-completions (`POST /v1/chat/completions`), Ollama chat (`POST /api/chat`) and Anthropic
 * messages (`POST /v1/messages`) APIs, plus their model lists for readiness. It records every request
 * and answers from a script (then from `answer`), so a test asserts exactly what a provider received.
 */

export type Api = 'openai' | 'ollama' | 'anthropic';

export interface ReceivedRequest {
  api: Api;
  path: string;
  headers: IncomingMessage['headers'];
  body: { model?: string; messages?: Array<{ role: string; content: unknown }>; system?: unknown; [k: string]: unknown };
  /** Every text the request carried (system and messages), joined. */
  text: string;
}

export type Step =
  | { kind: 'answer'; content: string; inputTokens?: number; outputTokens?: number }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Never answers (until the stand-in closes): for timeouts. */
  | { kind: 'hang' };

export interface StandIn {
  url: string;
  /** Base URLs as an admin would enter them. */
  openaiBase: string;
  anthropicBase: string;
  ollamaBase: string;
  received: ReceivedRequest[];
  /** Steps used in order before the default answer. */
  script: Step[];
  answer: (req: ReceivedRequest) => string;
  close(): Promise<void>;
}

export const validAnswer = (summary = 'Bitte die Rechnung bis Freitag bezahlen.', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ urgency: 3, importance: 3, category: 'action_required', summary, tags: ['invoice', 'deadline'], ...extra });

function textOf(body: ReceivedRequest['body']): string {
  const parts: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) v.forEach((x) => add((x as { text?: unknown; content?: unknown }).text ?? (x as { content?: unknown }).content ?? x));
  };
  add(body.system);
  for (const m of body.messages ?? []) add(m.content);
  return parts.join('\n');
}

function apiOf(method: string, path: string): Api | 'models' | null {
  if (method === 'POST' && path === '/v1/chat/completions') return 'openai';
  if (method === 'POST' && path === '/api/chat') return 'ollama';
  if (method === 'POST' && path === '/v1/messages') return 'anthropic';
  if (method === 'GET' && (path === '/v1/models' || path === '/api/tags')) return 'models';
  return null;
}

function reply(api: Api, model: string, content: string, inTok: number, outTok: number): unknown {
  if (api === 'openai') {
    return {
      id: 'chatcmpl-1', object: 'chat.completion', created: 1_700_000_000, model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: inTok, completion_tokens: outTok, total_tokens: inTok + outTok },
    };
  }
  if (api === 'ollama') {
    return { model, created_at: new Date(0).toISOString(), message: { role: 'assistant', content }, done: true, done_reason: 'stop', prompt_eval_count: inTok, eval_count: outTok };
  }
  return {
    id: 'msg_1', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: content }],
    stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: inTok, output_tokens: outTok },
  };
}

export async function startStandIn(): Promise<StandIn> {
  const hanging = new Set<() => void>();
  const state: StandIn = {
    url: '',
    openaiBase: '',
    anthropicBase: '',
    ollamaBase: '',
    received: [],
    script: [],
    answer: () => validAnswer(),
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const api = apiOf(req.method ?? '', path);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (!api) return send(404, { error: 'not found' });
      if (api === 'models') return send(200, path === '/api/tags' ? { models: [{ name: 'llama3.2' }] } : { data: [{ id: 'test-model' }] });
      let body: ReceivedRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedRequest['body'];
      } catch {
        return send(400, { error: 'bad json' });
      }
      const received: ReceivedRequest = { api, path, headers: req.headers, body, text: textOf(body) };
      state.received.push(received);
      const step: Step = state.script.shift() ?? { kind: 'answer', content: state.answer(received) };
      if (step.kind === 'hang') {
        const end = () => res.destroy();
        hanging.add(end);
        res.on('close', () => hanging.delete(end));
        return;
      }
      if (step.kind === 'status') return send(step.status, step.body ?? { error: { message: 'stand-in error', type: 'error' } }, step.headers);
      return send(200, reply(api, body.model ?? 'test-model', step.content, step.inputTokens ?? 120, step.outputTokens ?? 30));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.openaiBase = `${state.url}/v1`;
  state.anthropicBase = `${state.url}/v1`;
  state.ollamaBase = state.url;
  state.close = async () => {
    for (const end of hanging) end();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

/** A loopback URL where nothing listens: a provider that is down. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
