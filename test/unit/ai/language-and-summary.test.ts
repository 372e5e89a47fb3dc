import { describe, expect, it } from 'vitest';
import { analyseMessage } from '../../../src/ai/builtin/analyser.js';
import { detectLanguage } from '../../../src/ai/builtin/language.js';
import { readMessageText } from '../../../src/ai/builtin/message-text.js';
import { fromContact, SIGNALS } from '../../support/analysis/make-input.js';

describe('language detection (stopwords)', () => {
  it.each([
    ['de', 'Wir haben die Unterlagen für das Projekt noch nicht erhalten und bitten um eine kurze Rückmeldung.'],
    ['en', 'We have not received the documents for the project yet and would appreciate a quick update.'],
    ['fr', 'Nous n’avons pas encore reçu les documents pour le projet et vous remercions de votre retour.'],
    ['it', 'Non abbiamo ancora ricevuto i documenti per il progetto e attendiamo un vostro riscontro.'],
  ])('%s', (lang, text) => {
    expect(detectLanguage(text.toLowerCase().replace(/’/g, "'"))).toBe(lang);
  });

  it('says other for languages it does not know and for text without words', () => {
    expect(detectLanguage('привет спасибо встреча проект отчёт завтра')).toBe('other');
    expect(detectLanguage('12345 67890 +41 44 123 45 67')).toBe('other');
  });
});

describe('message text: greeting, quotes and signature', () => {
  it('drops the greeting, quoted text, the "Am … schrieb" line and everything after the sign-off', () => {
    const t = readMessageText(
      'Hallo Lena,\n\nDanke für die Offerte. Wir möchten den Auftrag erteilen.\nWann können Sie beginnen?\n\nFreundliche Grüsse\nBeat Zürcher\nZürcher AG\n\nAm 02.03.2026 um 09:14 schrieb Lena Brunner <lena@x.ch>:\n> Anbei unsere Offerte.',
    );
    expect(t.greeting).toBe('Hallo Lena,');
    expect(t.signOff).toBe('freundliche grüsse');
    expect(t.sentences.map((s) => s.text)).toEqual(['Danke für die Offerte.', 'Wir möchten den Auftrag erteilen.', 'Wann können Sie beginnen?']);
  });

  it('cuts at "On … wrote:" wrapped over two lines, at Outlook headers and at "-- "', () => {
    expect(readMessageText('Sounds good.\n\nOn Tue, 3 Mar 2026 at 10:02, Lena Brunner <lena@x.ch>\nwrote:\n> old').sentences.map((s) => s.text)).toEqual(['Sounds good.']);
    expect(readMessageText('Ok für mich.\n\nVon: Lena\nGesendet: Dienstag\nAn: Beat\nBetreff: x').sentences.map((s) => s.text)).toEqual(['Ok für mich.']);
    expect(readMessageText('Merci.\nÀ demain.\n-- \nLuc Fontaine\n+41 22 000 00 00').sentences.map((s) => s.text)).toEqual(['Merci.', 'À demain.']);
  });

  it('does not split after abbreviations, ordinals and dates', () => {
    const t = readMessageText('Die Sitzung ist am 15. März um 10 Uhr, z.B. im Raum Nr. 4. Bitte Dr. Meier einladen.');
    expect(t.sentences.map((s) => s.text)).toEqual(['Die Sitzung ist am 15. März um 10 Uhr, z.B. im Raum Nr. 4.', 'Bitte Dr. Meier einladen.']);
  });
});

describe('extractive summary', () => {
  const summary = (text: string, subject = 'Projekt') => analyseMessage(fromContact({ subject, text }), SIGNALS);

  it('is taken from the message, in its language, without greeting, pleasantries, quotes or signature', () => {
    const cases = [
      ['de', 'Liebe Lena,\n\nich hoffe, es geht dir gut.\n\nKönntest du mir bis Freitag die Offerte für den Umbau schicken? Der Kunde entscheidet am Montag.\n\nLiebe Grüsse\nMarco\n\n> alte Nachricht', 'Offerte Umbau'],
      ['en', 'Hi Lena,\n\nI hope this email finds you well.\n\nCould you send me the proposal for the renovation by Friday? The client decides on Monday.\n\nBest regards,\nJames\n\nOn Tue, 3 Mar 2026, Lena wrote:\n> old', 'Renovation proposal'],
      ['fr', 'Bonjour Lena,\n\nJ’espère que tu vas bien.\n\nPourrais-tu m’envoyer le devis pour la rénovation avant vendredi ? Le client décide lundi.\n\nCordialement,\nLuc\n\nLe 3 mars 2026, Lena a écrit :\n> ancien', 'Devis rénovation'],
      ['it', 'Ciao Lena,\n\nspero tu stia bene.\n\nPotresti mandarmi il preventivo per la ristrutturazione entro venerdì? Il cliente decide lunedì.\n\nCordiali saluti,\nPaolo\n\nIl giorno 3 mar 2026, Lena ha scritto:\n> vecchio', 'Preventivo ristrutturazione'],
    ] as const;
    for (const [lang, text, subject] of cases) {
      const r = summary(text, subject);
      expect(r.language, lang).toBe(lang);
      expect(r.summary.length, lang).toBeGreaterThan(20);
      expect(text.replace(/\n/g, ' ')).toContain(r.summary.split(/(?<=[.?!]) /)[0]!.trim());
      expect(r.summary, lang).not.toMatch(/Lena,|hoffe|hope|espère|spero|Grüsse|regards|Cordialement|saluti|old|alte|ancien|vecchio/);
      expect(r.summary, lang).toMatch(/Offerte|proposal|devis|preventivo/);
    }
  });

  it('has one to three sentences, more for longer messages', () => {
    const short = summary('Kannst du mich morgen anrufen?');
    expect(short.summary).toBe('Kannst du mich morgen anrufen?');
    const long = summary(
      Array.from({ length: 12 }, (_, i) => `Punkt ${i + 1} betrifft die Planung der Baustelle und die Abstimmung mit den Handwerkern im Quartier.`).join(' '),
    );
    const n = long.summary.split(/(?<=\.) /).length;
    expect(n).toBe(3);
  });

  it('falls back to the subject when the body is empty', () => {
    expect(summary('', 'Re: Termin morgen').summary).toBe('Termin morgen');
  });
});
