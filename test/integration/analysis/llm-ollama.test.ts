import { describe, expect, it } from 'vitest';
import { requestAnalysis } from '../../../src/ai/llm/client.js';
import { buildPrompt } from '../../../src/ai/llm/prompt.js';
import { privacyGate } from '../../../src/ai/llm/privacy-gate.js';

/**
 * Optional: against a real Ollama when OLLAMA_URL is set (e.g. http://127.0.0.1:11434, model from
 * OLLAMA_MODEL, default llama3.2). An optional external, so it is skipped without it — in CI too.
 */
const url = process.env.OLLAMA_URL;

describe.skipIf(!url)('a real Ollama (OLLAMA_URL)', () => {
  it('rates a German invoice with a schema-valid answer, summary in German', async () => {
    const gated = privacyGate(
      {
        subject: 'Rechnung 2026-044 überfällig',
        body: 'Guten Tag,\n\ndie Rechnung 2026-044 über CHF 1\'250.00 ist seit dem 15.11.2026 überfällig. Bitte bezahlen Sie den Betrag bis spätestens Freitag, sonst müssen wir eine Mahngebühr verrechnen.\n\nFreundliche Grüsse\nBuchhaltung',
        thread: [],
        people: [{ name: 'Buchhaltung Muster AG', address: 'buchhaltung@muster.ch' }],
      },
      'local',
    );
    const prompt = buildPrompt(gated, { language: 'de', date: Date.parse('2026-11-27T10:00:00Z'), hasAttachments: false });
    const res = await requestAnalysis(
      { id: 'real-ollama', name: 'real-ollama', type: 'ollama', baseUrl: url!, apiKey: null, timeoutMs: 180_000, concurrency: 1 },
      process.env.OLLAMA_MODEL ?? 'llama3.2',
      prompt,
      'de',
    );
    expect(res.output.urgency).toBeGreaterThanOrEqual(2);
    expect(res.output.summary.length).toBeGreaterThan(0);
    expect(res.usage.input).toBeGreaterThan(0);
  }, 400_000);
});
