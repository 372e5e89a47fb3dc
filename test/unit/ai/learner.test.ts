import { describe, expect, it } from 'vitest';
import { analyseMessage } from '../../../src/ai/builtin/analyser.js';
import { buildModel, createModel, learn, parseModel, serialiseModel, trainingExample, type Correction } from '../../../src/ai/builtin/learner.js';
import type { AnalysisInput } from '../../../src/ai/types.js';
import { fromContact, SIGNALS } from '../../support/analysis/make-input.js';

const reto = { name: 'Reto Frei', address: 'reto@frei-webdesign.ch' };
const subjects = ['Neue Fotos vom Anlass', 'Kurzes Update zur Webseite', 'Statistik Februar', 'Ideen für den Blog', 'Server-Wartung am Wochenende', 'Logo-Varianten'];
const fromReto = (i: number): AnalysisInput => fromContact({ from: reto, subject: subjects[i % subjects.length]!, text: 'Anbei ein paar Informationen zum aktuellen Stand.' });
const other = fromContact({ from: { name: 'Ursula', address: 'ursula@gerber-treuhand.ch' }, subject: 'Statistik Februar', text: 'Anbei ein paar Informationen zum aktuellen Stand.' });

/** Trains on `n` corrections of Reto's mail to the given values, as the user would make them. */
function corrected(n: number, correction: Correction) {
  const model = createModel();
  for (let i = 0; i < n; i++) {
    const input = fromReto(i);
    learn(model, trainingExample(input, analyseMessage(input, SIGNALS), correction));
  }
  return model;
}

describe('per-user learner', () => {
  it('the built-in verdict for this sender is what the user will correct', () => {
    expect(analyseMessage(fromReto(5), SIGNALS)).toMatchObject({ urgency: 1, importance: 2, category: 'information' });
  });

  it('after two corrections for a sender, the next message from that sender follows them', () => {
    const model = corrected(2, { importance: 3, category: 'action_required', urgency: 2 });
    const next = analyseMessage(fromReto(4), { ...SIGNALS, model });
    expect(next).toMatchObject({ importance: 3, category: 'action_required', urgency: 2, score: 7, colour: 'yellow' });
    expect(next.reasons).toContainEqual({ code: 'learned', params: { axis: 'importance', value: 3 } });
    expect(next.reasons).toContainEqual({ code: 'learned', params: { axis: 'category', value: 'action_required' } });
  });

  it('one correction already moves the sender’s next message (a sender on a freemail domain needs two)', () => {
    expect(analyseMessage(fromReto(4), { ...SIGNALS, model: corrected(1, { importance: 3 }) }).importance).toBe(3);
    const kate = { name: 'Kate', address: 'kate.morrison@gmail.com' };
    const fromKate = (i: number) => fromContact({ from: kate, subject: subjects[i]!, text: 'Anbei ein paar Informationen zum aktuellen Stand.' });
    const model = createModel();
    const teach = (i: number) => learn(model, trainingExample(fromKate(i), analyseMessage(fromKate(i), SIGNALS), { importance: 3 }));
    teach(0);
    expect(analyseMessage(fromKate(4), { ...SIGNALS, model }).importance).toBe(2);
    teach(1);
    expect(analyseMessage(fromKate(4), { ...SIGNALS, model }).importance).toBe(3);
  });

  it('other senders with a similar message are left alone', () => {
    const model = corrected(3, { importance: 3, category: 'action_required' });
    const before = analyseMessage(other, SIGNALS);
    expect(analyseMessage(other, { ...SIGNALS, model })).toEqual(before);
  });

  it('marking a sender as spam moves the next message to spam in the 1/1 cell', () => {
    const model = corrected(2, { spam: true });
    const next = analyseMessage(fromReto(3), { ...SIGNALS, model });
    expect(next).toMatchObject({ category: 'spam', isSpam: true, urgency: 1, importance: 1 });
  });

  it('without corrections, or with an empty model, the result is the built-in one', () => {
    const input = fromReto(1);
    expect(analyseMessage(input, { ...SIGNALS, model: createModel() })).toEqual(analyseMessage(input, SIGNALS));
  });

  it('serialises to JSON and back to a model that gives the same results', () => {
    const model = corrected(3, { importance: 3 });
    const json = serialiseModel(model);
    const parsed = parseModel(json);
    expect(parsed).not.toBeNull();
    expect(analyseMessage(fromReto(4), { ...SIGNALS, model: parsed })).toEqual(analyseMessage(fromReto(4), { ...SIGNALS, model }));
    expect(json).not.toContain('reto'); // hashed features only: no addresses or subjects in the stored model
    expect(json).not.toContain('Statistik');
    expect(parseModel('{"kind":"other"}')).toBeNull();
    expect(parseModel('not json')).toBeNull();
  });

  it('rebuilding from the stored corrections gives the same model as learning them one by one', () => {
    const examples = [0, 1, 2].map((i) => trainingExample(fromReto(i), analyseMessage(fromReto(i), SIGNALS), { urgency: 3 }));
    const online = createModel();
    for (const e of examples) learn(online, e);
    expect(buildModel(examples)).toEqual(online);
  });

  it('a later correction back to the built-in value is learned too', () => {
    const model = corrected(2, { importance: 3 });
    for (let i = 2; i < 6; i++) {
      const input = fromReto(i);
      learn(model, trainingExample(input, analyseMessage(input, SIGNALS), { importance: 2 }));
    }
    expect(analyseMessage(fromReto(1), { ...SIGNALS, model }).importance).toBe(2);
  });
});
