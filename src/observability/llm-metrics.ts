import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * LLM call figures, labelled by provider name (chosen by an admin, a handful per instance) and
 * outcome — never a user, model prompt or anything from a message. Counted in the process that
 * makes the calls (the job runner); `createMetrics` registers them on /metrics.
 */
export const LLM_OUTCOMES = ['ok', 'invalid_output', 'timeout', 'rate_limited', 'unavailable', 'rejected', 'blocked', 'cached', 'budget'] as const;
export type LlmOutcome = (typeof LLM_OUTCOMES)[number];

const requests = new Counter({
  name: 'mailhelper_llm_requests_total',
  help: 'LLM analysis requests by provider and outcome (blocked: privacy gate; cached and budget: no request sent)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [],
});
const duration = new Histogram({
  name: 'mailhelper_llm_request_duration_seconds',
  help: 'LLM request latency by provider and outcome',
  labelNames: ['provider', 'outcome'] as const,
  buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 40, 80],
  registers: [],
});
const tokens = new Counter({
  name: 'mailhelper_llm_tokens_total',
  help: 'LLM tokens by provider and direction (input, output)',
  labelNames: ['provider', 'direction'] as const,
  registers: [],
});

export const llmMetrics = {
  request(provider: string, outcome: LlmOutcome, seconds?: number): void {
    requests.inc({ provider, outcome });
    if (seconds !== undefined) duration.observe({ provider, outcome }, seconds);
  },
  tokens(provider: string, input: number, output: number): void {
    if (input > 0) tokens.inc({ provider, direction: 'input' }, input);
    if (output > 0) tokens.inc({ provider, direction: 'output' }, output);
  },
  /** Adds the LLM metrics to a registry (each app has its own). */
  register(registry: Registry): void {
    const all = [
      ['mailhelper_llm_requests_total', requests],
      ['mailhelper_llm_request_duration_seconds', duration],
      ['mailhelper_llm_tokens_total', tokens],
    ] as const;
    for (const [name, metric] of all) if (!registry.getSingleMetric(name)) registry.registerMetric(metric);
  },
};
