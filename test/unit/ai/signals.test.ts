import { describe, expect, it } from 'vitest';
import { analyseMessage } from '../../../src/ai/builtin/analyser.js';
import { matchesSenderPattern } from '../../../src/ai/builtin/senders.js';
import type { AnalysisResult } from '../../../src/ai/types.js';
import { fromContact, makeInput, ME, SIGNALS } from '../../support/analysis/make-input.js';

const codes = (r: AnalysisResult) => r.reasons.map((x) => x.code);

describe('header signals', () => {
  const promo = makeInput({
    from: { name: 'Shop', address: 'news@shop.example' },
    subject: 'Frühlingsangebote: 20 % auf alles',
    text: 'Entdecken Sie unsere neuen Angebote. Nur bis Sonntag!',
  });

  it('List-Unsubscribe with bulk precedence makes a newsletter in the 1/1 cell', () => {
    const r = analyseMessage({ ...promo, headers: { listUnsubscribe: '<https://shop.example/u>', precedence: 'bulk' } }, SIGNALS);
    expect(r).toMatchObject({ category: 'newsletter', isNewsletter: true, urgency: 1, importance: 1, colour: 'green' });
    expect(codes(r)).toEqual(expect.arrayContaining(['list_unsubscribe', 'bulk_precedence']));
  });

  it('the same text without list headers is not a newsletter', () => {
    expect(analyseMessage(promo, SIGNALS).isNewsletter).toBe(false);
  });

  it('a bulk mailer plus an unsubscribe line is a newsletter even without list headers', () => {
    const r = analyseMessage({ ...promo, text: `${promo.text}\n\nNewsletter abbestellen`, headers: { xMailer: 'CleverReach' } }, SIGNALS);
    expect(r.category).toBe('newsletter');
  });

  it('a shop’s shipping notice with List-Unsubscribe stays transactional', () => {
    const r = analyseMessage(
      makeInput({
        from: { name: 'Shop', address: 'versand@shop.example' },
        subject: 'Ihre Bestellung wurde versendet',
        text: 'Ihre Bestellung 4471 ist unterwegs. Sendungsnummer 123.',
        headers: { listUnsubscribe: '<https://shop.example/u>' },
      }),
      SIGNALS,
    );
    expect(r).toMatchObject({ category: 'transactional', isNewsletter: false, urgency: 1 });
  });

  it('Auto-Submitted mail is transactional; an out-of-office reply is information at 1/1', () => {
    const code = analyseMessage(
      makeInput({ from: { name: 'Bank', address: 'no-reply@bank.example' }, subject: 'Ihr Bestätigungscode', text: 'Ihr Bestätigungscode lautet 123456.', headers: { autoSubmitted: 'auto-generated' } }),
      SIGNALS,
    );
    expect(code.category).toBe('transactional');
    const ooo = analyseMessage(
      fromContact({ subject: 'Abwesenheitsnotiz', text: 'Ich bin bis 9. März abwesend. In dringenden Fällen wenden Sie sich an das Sekretariat.', headers: { autoSubmitted: 'auto-replied' } }),
      SIGNALS,
    );
    expect(ooo).toMatchObject({ category: 'information', urgency: 1, importance: 1 });
  });

  it('a high-priority header raises urgency of human mail by one', () => {
    const base = fromContact({ subject: 'Frage', text: 'Kannst du mir die Präsentation schicken?' });
    const normal = analyseMessage(base, SIGNALS);
    const high = analyseMessage({ ...base, headers: { priority: 'high' } }, SIGNALS);
    expect(high.urgency).toBe(normal.urgency + 1);
    expect(codes(high)).toContain('high_priority');
  });
});

describe('sender relationship and recipients', () => {
  const note = { subject: 'Kurze Info', text: 'Anbei die Unterlagen zum Projekt, die wir besprochen haben.' };

  it('VIP patterns with wildcards', () => {
    expect(matchesSenderPattern('Thomas.Huber@alpina-bau.ch', '*@alpina-bau.ch')).toBe(true);
    expect(matchesSenderPattern('thomas@bau.alpina-bau.ch', '*@*.alpina-bau.ch')).toBe(true);
    expect(matchesSenderPattern('thomas@alpina-bau.ch.evil.example', '*@alpina-bau.ch')).toBe(false);
    expect(matchesSenderPattern('thomas@sub.alpina-bau.ch', 'alpina-bau.ch')).toBe(true);
    expect(matchesSenderPattern('boss@firma.ch', 'BOSS@firma.ch')).toBe(true);
    expect(matchesSenderPattern('x@firmaxch', '*@firma.ch')).toBe(false);
  });

  it('a VIP sender makes the same message important', () => {
    const plain = analyseMessage(fromContact(note), SIGNALS);
    const vip = analyseMessage(fromContact({ ...note, from: { name: 'Thomas Huber', address: 'thomas.huber@alpina-bau.ch' } }), SIGNALS);
    expect(plain.importance).toBe(2);
    expect(vip.importance).toBe(3);
    expect(codes(vip)).toContain('vip_sender');
  });

  it('own domain, earlier correspondence and replies are reported; an unknown sender is less important', () => {
    const colleague = analyseMessage(makeInput({ ...note, from: { name: 'Marco', address: 'marco@brunner-consulting.ch' } }), SIGNALS);
    expect(codes(colleague)).toContain('own_domain');
    expect(codes(analyseMessage(fromContact(note), SIGNALS))).toContain('replied_before');
    const stranger = analyseMessage(makeInput(note), SIGNALS);
    expect(codes(stranger)).toContain('unknown_sender');
    expect(stranger.importance).toBe(1);
  });

  it('being only in Cc lowers urgency and importance compared with To', () => {
    const ask = { subject: 'Offerte', text: 'Könnten Sie mir die Offerte bis Freitag schicken?' };
    const direct = analyseMessage(fromContact(ask), SIGNALS);
    const cc = analyseMessage(
      fromContact({ ...ask, to: [{ name: 'Team', address: 'team@weber-ag.example' }], cc: [{ name: 'Lena', address: ME }] }),
      SIGNALS,
    );
    expect(codes(direct)).toContain('direct_recipient');
    expect(codes(cc)).toContain('cc_only');
    expect(cc.urgency).toBeLessThan(direct.urgency);
    expect(cc.importance).toBeLessThan(direct.importance);
  });
});

describe('phrases in German, English, French and Italian', () => {
  const cases: Array<[string, string, string, Partial<AnalysisResult>, string]> = [
    ['de request', 'Präsentation', 'Könntest du mir die Folien bis Freitag schicken?', { category: 'action_required', urgency: 2 }, 'request'],
    ['en request', 'Slides', 'Could you send me the slides by Friday?', { category: 'action_required', urgency: 2 }, 'request'],
    ['fr request', 'Présentation', 'Pourriez-vous m’envoyer les diapositives avant vendredi ?', { category: 'action_required', urgency: 2 }, 'request'],
    ['it request', 'Presentazione', 'Potresti mandarmi le slide entro venerdì?', { category: 'action_required', urgency: 2 }, 'request'],
    ['de invoice', 'Rechnung 118', 'Anbei die Rechnung 118 über CHF 480.00, zahlbar innert 30 Tagen.', { category: 'action_required', importance: 2 }, 'payment_due'],
    ['en dunning', 'Payment reminder', 'Invoice 2219 is now 14 days overdue. Please pay by March 10.', { importance: 3 }, 'dunning'],
    ['fr final notice', 'Mise en demeure', 'Nous vous mettons en demeure de régler la somme due, faute de quoi une procédure judiciaire sera engagée.', { category: 'urgent', urgency: 3, importance: 3 }, 'final_notice'],
    ['it dunning', 'Sollecito', 'La fattura 112 risulta ancora non pagata. Vi preghiamo di provvedere al saldo.', { importance: 3 }, 'dunning'],
    ['de legal', 'Kündigung Mietvertrag', 'Hiermit kündigen wir den Mietvertrag per 30.09.2026. Bitte bestätigen Sie den Erhalt.', { importance: 3 }, 'legal'],
    ['en meeting', 'Call', 'Are you available for a call on Thursday? Please let me know.', { category: 'action_required' }, 'meeting'],
    ['fr escalation', 'Réclamation', 'Pour la troisième fois, la livraison est incomplète. C’est inacceptable, je demande une solution immédiatement.', { category: 'urgent', urgency: 3, importance: 3 }, 'escalation'],
    ['it escalation', 'Reclamo', 'È la terza volta che scrivo, il sistema è ancora fermo. Situazione inaccettabile, chiedo un intervento immediatamente.', { category: 'urgent', urgency: 3 }, 'escalation'],
    ['de urgent', 'Dringend', 'Bitte ruf Herrn Huber heute noch zurück, es ist dringend.', { category: 'urgent', urgency: 3 }, 'urgent_marker'],
  ];
  for (const [name, subject, text, expected, code] of cases) {
    it(name, () => {
      const r = analyseMessage(fromContact({ subject, text }), SIGNALS);
      expect(r).toMatchObject(expected);
      expect(codes(r)).toContain(code);
    });
  }

  it('polite formulas are not requests, and "no rush" takes the pressure off', () => {
    const fyi = analyseMessage(fromContact({ subject: 'Report', text: 'Please find attached the monthly report. No action needed.' }), SIGNALS);
    expect(codes(fyi)).not.toContain('request');
    expect(fyi.urgency).toBe(1);
    const calm = analyseMessage(fromContact({ subject: 'Doc', text: 'Could you review the doc when you have a moment? No rush.' }), SIGNALS);
    expect(calm).toMatchObject({ category: 'action_required', urgency: 1 });
  });

  it('a direct debit notice is transactional, not a payment to make', () => {
    const r = analyseMessage(
      makeInput({ from: { name: 'Orange', address: 'no-reply@orange.example' }, subject: 'Votre facture', text: 'Le montant de 39,99 € sera prélevé le 15/03/2026.' }),
      SIGNALS,
    );
    expect(r).toMatchObject({ category: 'transactional', urgency: 1 });
    expect(codes(r)).toContain('payment_automatic');
  });

  it('personal mail from a friend is personal, urgent only if it is about the next days', () => {
    const friend = { from: { name: 'Anna', address: 'anna@gmx.ch' } };
    const soon = analyseMessage(fromContact({ ...friend, subject: 'Grillen', text: 'Hallo Lena\n\nWir grillen am Samstag. Kommst du auch?\n\nLiebe Grüsse\nAnna' }), SIGNALS);
    expect(soon).toMatchObject({ category: 'personal', urgency: 2, importance: 2 });
    const later = analyseMessage(fromContact({ ...friend, subject: 'Ferien', text: 'Hallo Lena\n\nHast du Lust, im Juli mit uns in die Ferien zu fahren?\n\nLiebe Grüsse\nAnna' }), SIGNALS);
    expect(later).toMatchObject({ category: 'personal', urgency: 1 });
  });
});

describe('deadlines', () => {
  const ask = (text: string) => fromContact({ subject: 'Unterlagen', text });

  it('urgency rises as the deadline nears, and the deadline is an absolute date', () => {
    const far = analyseMessage(ask('Bitte senden Sie mir die Unterlagen bis 30.04.2026.'), SIGNALS);
    const week = analyseMessage(ask('Bitte senden Sie mir die Unterlagen bis 9.3.2026.'), SIGNALS);
    const tomorrow = analyseMessage(ask('Bitte senden Sie mir die Unterlagen bis morgen.'), SIGNALS);
    expect(far.deadline).toBe('2026-04-30');
    expect(tomorrow.deadline).toBe('2026-03-05');
    expect([far.urgency, week.urgency, tomorrow.urgency]).toEqual([2, 2, 3]);
    expect(tomorrow.category).toBe('urgent');
    expect(tomorrow.reasons).toContainEqual({ code: 'deadline', params: { date: '2026-03-05' } });
  });

  it('re-rating with a later "now" raises urgency of the same message', () => {
    const input = ask('Bitte senden Sie mir die Unterlagen bis 20.03.2026.');
    expect(analyseMessage(input, SIGNALS).urgency).toBe(2);
    expect(analyseMessage(input, SIGNALS, { now: Date.parse('2026-03-19T09:00:00+01:00') }).urgency).toBe(3);
  });

  it('an invoice date in the past is not an overdue deadline, a cued one is', () => {
    const reminder = analyseMessage(ask('Die Rechnung vom 20.01.2026 ist noch offen. Bitte überweisen Sie den Betrag bis 13.03.2026.'), SIGNALS);
    expect(reminder.deadline).toBe('2026-03-13');
    const overdue = analyseMessage(ask('Die Rechnung war fällig am 20.02.2026. Bitte überweisen Sie den Betrag.'), SIGNALS);
    expect(overdue.reasons).toContainEqual({ code: 'overdue', params: { date: '2026-02-20' } });
    expect(overdue.urgency).toBe(3);
  });
});

describe('spam (conservative)', () => {
  const phish = makeInput({
    from: { name: 'PayPal Service', address: 'service@pp-secure-login.example' },
    to: [{ name: null, address: 'undisclosed-recipients:;' }],
    hasBcc: true,
    subject: 'Your account has been suspended',
    text: 'Dear customer, verify your account within 24 hours: http://185.23.11.4/login',
  });

  it('several independent signals make spam', () => {
    const r = analyseMessage(phish, SIGNALS);
    expect(r).toMatchObject({ category: 'spam', isSpam: true, urgency: 1, importance: 1, summary: '' });
    expect(codes(r)).toEqual(expect.arrayContaining(['sender_mismatch', 'spam_phrases', 'ip_link']));
  });

  it('one spammy phrase in normal mail is not spam, and a known sender never is', () => {
    expect(analyseMessage(fromContact({ subject: 'Lotto', text: 'Stell dir vor, ich habe im Lotto gewonnen!' }), SIGNALS).isSpam).toBe(false);
    expect(analyseMessage({ ...phish, thread: { isReply: false, userRepliedToSender: true, earlierCorrespondence: 3 } }, SIGNALS).isSpam).toBe(false);
  });

  it('the server’s spam flag counts, but not against a VIP', () => {
    const flagged = makeInput({ subject: 'Hello', text: 'Hello there', headers: { spamFlag: true }, hasBcc: true, to: [] });
    expect(analyseMessage(flagged, SIGNALS).isSpam).toBe(true);
    expect(analyseMessage({ ...flagged, from: { name: 'T', address: 't@alpina-bau.ch' } }, SIGNALS).isSpam).toBe(false);
  });
});

describe('calendar', () => {
  it('an iCalendar REQUEST is a calendar message; a CANCEL is low priority', () => {
    const req = analyseMessage(fromContact({ subject: 'Einladung: Jour fixe', text: 'Einladung zum Jour fixe am 12.03.2026 um 10 Uhr.', calendarMethod: 'REQUEST' }), SIGNALS);
    expect(req).toMatchObject({ category: 'calendar', importance: 2 });
    expect(req.reasons).toContainEqual({ code: 'calendar_invite', params: { method: 'REQUEST', date: '2026-03-12' } });
    const cancel = analyseMessage(fromContact({ subject: 'Abgesagt: Jour fixe', text: 'Der Termin am 5.3. entfällt.', calendarMethod: 'CANCEL' }), SIGNALS);
    expect(cancel).toMatchObject({ category: 'calendar', urgency: 1, importance: 1 });
  });
});
