import { analyseMessage } from '../../../src/ai/builtin/analyser.js';
import type { AnalysisResult, UserSignals } from '../../../src/ai/types.js';
import type { LabelledCase } from './labelled-set.js';
import { scoreAxis, type AxisScore } from './metrics.js';

export const EVAL_AXES = ['urgency', 'importance', 'category', 'newsletter', 'spam', 'language'] as const;
export type EvalAxis = (typeof EVAL_AXES)[number];

export interface Evaluation {
  axes: Partial<Record<EvalAxis, AxisScore>>;
  misses: Array<{ id: string; axis: EvalAxis; expected: string; got: string }>;
}

function predicted(r: AnalysisResult, axis: EvalAxis): string {
  switch (axis) {
    case 'newsletter':
      return String(r.isNewsletter);
    case 'spam':
      return String(r.isSpam);
    default:
      return String(r[axis]);
  }
}

export function evaluate(cases: readonly LabelledCase[], signals: UserSignals): Evaluation {
  const pairs: Record<EvalAxis, Array<[string, string]>> = { urgency: [], importance: [], category: [], newsletter: [], spam: [], language: [] };
  const misses: Evaluation['misses'] = [];
  for (const c of cases) {
    const r = analyseMessage(c.input, signals);
    // Hand-labelled ids start with their language (de-01, ho-fr-03).
    const lang = /^(?:ho-)?(de|en|fr|it)-/.exec(c.id)?.[1] ?? null;
    const expected = { ...c.expected, language: lang };
    for (const axis of EVAL_AXES) {
      const gold = expected[axis];
      if (gold === null || gold === undefined) continue;
      const got = predicted(r, axis);
      pairs[axis].push([String(gold), got]);
      if (String(gold) !== got) misses.push({ id: c.id, axis, expected: String(gold), got });
    }
  }
  const axes: Evaluation['axes'] = {};
  for (const axis of EVAL_AXES) if (pairs[axis].length) axes[axis] = scoreAxis(pairs[axis]);
  return { axes, misses };
}

export function formatEvaluation(title: string, e: Evaluation): string {
  const lines = [`${title}`, 'axis        n    accuracy  macro-F1'];
  for (const axis of EVAL_AXES) {
    const s = e.axes[axis];
    if (!s) continue;
    lines.push(`${axis.padEnd(10)} ${String(s.n).padStart(4)}    ${(s.accuracy * 100).toFixed(1).padStart(5)}%   ${s.macroF1.toFixed(3)}`);
  }
  return lines.join('\n');
}
