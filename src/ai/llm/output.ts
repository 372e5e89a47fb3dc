import { z } from 'zod';
import { detectLanguage } from '../builtin/index.js';
import { CATEGORIES, type AnalysisLanguage } from '../types.js';

/** What a model must answer: one JSON object, nothing else. */
export const llmOutputSchema = z
  .object({
    urgency: z.number().int().min(1).max(3),
    importance: z.number().int().min(1).max(3),
    category: z.enum(CATEGORIES),
    summary: z.string().trim().min(1).max(1200),
    tags: z.array(z.string().trim().min(1).max(40)).max(10),
  })
  .strip();

export type LlmOutput = z.infer<typeof llmOutputSchema>;

export type ParseOutcome = { ok: true; value: LlmOutput } | { ok: false; reason: 'not_json' | 'schema' | 'language' };

/** The JSON object in a model's answer: the whole text, or a ```json fence, or the outermost braces. */
function extractJson(text: string): unknown {
  const trimmed = text.trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed);
  const candidates = [trimmed, fenced?.[1]?.trim(), trimmed.slice(trimmed.indexOf('{'), trimmed.lastIndexOf('}') + 1)];
  for (const c of candidates) {
    if (!c) continue;
    try {
      return JSON.parse(c);
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/**
 * Validates a model's answer. The summary must be in the message's language when that language is
 * known (de/en/fr/it) and the summary is long enough to tell; otherwise the answer is invalid.
 */
export function parseModelOutput(text: string, messageLanguage: AnalysisLanguage): ParseOutcome {
  const json = extractJson(text);
  if (json === undefined) return { ok: false, reason: 'not_json' };
  const parsed = llmOutputSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'schema' };
  const value = { ...parsed.data, tags: [...new Set(parsed.data.tags.map((t) => t.toLowerCase()))] };
  if (messageLanguage !== 'other') {
    const words = value.summary.replace(/\[[A-Z]+_\d+\]/g, ' ').split(/\s+/).filter(Boolean);
    if (words.length >= 6) {
      const lang = detectLanguage(value.summary.toLowerCase());
      if (lang !== 'other' && lang !== messageLanguage) return { ok: false, reason: 'language' };
    }
  }
  return { ok: true, value };
}
