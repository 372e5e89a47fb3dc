import { describe, expect, it } from 'vitest';
import { analyseMessage } from '../../../src/ai/builtin/analyser.js';
import { renderReason, REASON_TEMPLATES } from '../../../src/ai/builtin/reasons.js';
import { colourOf, scoreOf } from '../../../src/ai/builtin/score.js';
import { CATEGORIES, type Level } from '../../../src/ai/types.js';
import { loadHandLabelled, loadHoldout, loadSignals } from '../../support/analysis/labelled-set.js';
import { fromContact, SIGNALS } from '../../support/analysis/make-input.js';

describe('score and colour', () => {
  it('score = 2·urgency + importance; red ≥ 8, yellow 5–7, green ≤ 4', () => {
    const table: string[] = [];
    for (const u of [1, 2, 3] as Level[]) for (const i of [1, 2, 3] as Level[]) table.push(`${u}${i}:${scoreOf(u, i)}:${colourOf(scoreOf(u, i))}`);
    expect(table).toEqual(['11:3:green', '12:4:green', '13:5:yellow', '21:5:yellow', '22:6:yellow', '23:7:yellow', '31:7:yellow', '32:8:red', '33:9:red']);
  });

  it('every result carries a consistent score and colour', () => {
    const signals = loadSignals();
    for (const c of loadHandLabelled()) {
      const r = analyseMessage(c.input, signals);
      expect(r.score).toBe(2 * r.urgency + r.importance);
      expect(r.colour).toBe(colourOf(r.score));
      expect(CATEGORIES).toContain(r.category);
      expect(r.confidence).toBeGreaterThan(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
      expect(r.source).toBe('builtin');
      expect(r.isNewsletter).toBe(r.category === 'newsletter');
      expect(r.isSpam).toBe(r.category === 'spam');
    }
  });
});

describe('reasons', () => {
  it('render in German and English with absolute dates', () => {
    const r = analyseMessage(fromContact({ subject: 'Unterlagen', text: 'Bitte senden Sie mir die Unterlagen bis morgen.' }), SIGNALS);
    const deadline = r.reasons.find((x) => x.code === 'deadline')!;
    expect(deadline.params).toEqual({ date: '2026-03-05' });
    expect(renderReason(deadline, 'de')).toBe('Frist: 05.03.2026');
    expect(renderReason(deadline, 'en')).toBe('Deadline: 5 Mar 2026');
    expect(renderReason({ code: 'cc_only', params: {} }, 'de')).toBe('Sie stehen nur in Kopie (Cc)');
    expect(renderReason({ code: 'cc_only', params: {} }, 'en')).toBe('You are only in copy (Cc)');
    expect(renderReason({ code: 'learned', params: { axis: 'category', value: 'personal' } }, 'de')).toBe('Aus Ihren Korrekturen gelernt: Kategorie persönlich');
  });

  it('every reason the analyser emits on the labelled sets has a German and an English text, and no relative dates', () => {
    const signals = loadSignals();
    const seen = new Set<string>();
    for (const c of [...loadHandLabelled(), ...loadHoldout()]) {
      for (const reason of analyseMessage(c.input, signals).reasons) {
        seen.add(reason.code);
        expect(REASON_TEMPLATES[reason.code], reason.code).toBeDefined();
        const de = renderReason(reason, 'de');
        const en = renderReason(reason, 'en');
        expect(de, reason.code).not.toBe(en);
        expect(`${de} ${en}`).not.toMatch(/undefined|\bNaN\b/);
        expect(`${de} ${en}`).not.toMatch(/\bmorgen\b|tomorrow|heute|today/i);
        for (const v of Object.values(reason.params)) if (typeof v === 'string' && /\d{4}-/.test(v)) expect(v).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
  });
});

describe('determinism', () => {
  it('the same input gives the same result, and the input is not changed', () => {
    const signals = loadSignals();
    for (const c of loadHandLabelled()) {
      const before = JSON.stringify(c.input);
      const a = analyseMessage(c.input, signals);
      const b = analyseMessage(structuredClone(c.input), structuredClone(signals));
      expect(b).toEqual(a);
      expect(JSON.stringify(c.input)).toBe(before);
    }
  });
});
