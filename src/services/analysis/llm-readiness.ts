import type { ReadinessCheck } from '../../observability/readiness.js';
import type { AiProvidersService } from './llm-providers.js';

const PROBE_TIMEOUT_MS = 2500;

/**
 * One readiness entry per enabled LLM provider (`ai-provider:<name>`): can its model list be read?
 * Informational only — a provider that is down never makes the instance unready; analyses then wait
 * as pending. Results are kept for `cacheMs` so probes do not hit a paid API every few seconds.
 */
export function aiProviderReadiness(providers: Pick<AiProvidersService, 'list' | 'resolve'>, options: { cacheMs?: number; now?: () => number; fetch?: typeof fetch } = {}) {
  const cacheMs = options.cacheMs ?? 60_000;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const cache = new Map<string, { at: number; error: string | null }>();

  async function probe(id: string): Promise<string | null> {
    const p = await providers.resolve(id);
    if (!p) return 'disabled';
    const base = p.connection.baseUrl.replace(/\/+$/, '');
    const headers: Record<string, string> = {};
    let url: string;
    if (p.connection.type === 'ollama') {
      url = `${base}/api/tags`;
      if (p.connection.apiKey) headers.authorization = `Bearer ${p.connection.apiKey}`;
    } else if (p.connection.type === 'anthropic') {
      url = `${base}/models`;
      headers['x-api-key'] = p.connection.apiKey ?? '';
      headers['anthropic-version'] = '2023-06-01';
    } else {
      url = `${base}/models`;
      if (p.connection.apiKey) headers.authorization = `Bearer ${p.connection.apiKey}`;
    }
    try {
      const res = await doFetch(url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await res.body?.cancel();
      return res.ok ? null : `the provider answered HTTP ${res.status}`;
    } catch {
      return 'the provider could not be reached';
    }
  }

  return async (): Promise<ReadinessCheck[]> => {
    const list = (await providers.list()).filter((p) => p.enabled);
    return list.map((p) => ({
      name: `ai-provider:${p.name}`,
      informational: true,
      async check() {
        let hit = cache.get(p.id);
        if (!hit || now() - hit.at >= cacheMs) cache.set(p.id, (hit = { at: now(), error: await probe(p.id) }));
        if (hit.error) throw new Error(hit.error);
      },
    }));
  };
}
