import { CATEGORIES, type AnalysisLanguage } from '../types.js';
import type { GateOutput } from './privacy-gate.js';

/** The longest body and thread text sent, in characters (about 1.5 k tokens each). */
export const MAX_BODY_CHARS = 6000;
export const MAX_THREAD_CHARS = 3000;
/** Tokens of the fixed instructions plus a typical answer, for estimates and budgets. */
export const PROMPT_OVERHEAD_TOKENS = 450;

const LANGUAGE_NAMES: Record<AnalysisLanguage, string> = { de: 'German', en: 'English', fr: 'French', it: 'Italian', other: 'the language of the message' };

export const SYSTEM_PROMPT = `You rate e-mails for a busy person. Answer with ONE JSON object and nothing else:
{"urgency": 1|2|3, "importance": 1|2|3, "category": one of ${CATEGORIES.map((c) => `"${c}"`).join(', ')}, "summary": "1-3 sentences", "tags": ["short", "keywords"]}
urgency: 3 = act today or tomorrow (or overdue), 2 = reply or action expected within days, 1 = no action or no time pressure.
importance: 3 = money, legal consequences, an unhappy customer or a key person, 2 = ordinary work or private mail addressed to the reader, 1 = bulk, automated, copies, cold mail.
Write the summary in the language named in the request. Placeholders such as [NAME_1] or [EMAIL_2] stand for removed personal data: keep them as they are, never guess what they stand for.`;

/** Rough token count: about four characters per token for European languages. */
export const estimateTokens = (chars: number) => Math.ceil(chars / 4);

/** The user message: headers as placeholders (cloud) or as they are (local), then body and thread, cut to size. */
export function buildPrompt(gated: GateOutput, meta: { language: AnalysisLanguage; date: number; hasAttachments: boolean }): { system: string; prompt: string } {
  const [from, ...rest] = gated.people;
  const who = (p: { name: string | null; address: string }) => (p.name ? `${p.name} <${p.address}>` : p.address);
  const thread = gated.thread.join('\n---\n').slice(-MAX_THREAD_CHARS);
  const lines = [
    `Summary language: ${LANGUAGE_NAMES[meta.language]}`,
    `Date: ${new Date(meta.date).toISOString().slice(0, 10)}`,
    `From: ${from ? who(from) : '(unknown)'}`,
    `To/Cc: ${rest.map(who).join(', ') || '(none)'}`,
    `Attachments: ${meta.hasAttachments ? 'yes' : 'no'}`,
    `Subject: ${gated.subject}`,
    '',
    gated.body.slice(0, MAX_BODY_CHARS),
  ];
  if (thread) lines.push('', 'Earlier in the thread:', thread);
  return { system: SYSTEM_PROMPT, prompt: lines.join('\n') };
}
