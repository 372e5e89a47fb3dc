import { describe, expect, it } from 'vitest';
import { dayOfIso, findDates, isoDate, localDay } from '../../../src/ai/builtin/dates.js';

// Wednesday 4 March 2026.
const WED = dayOfIso('2026-03-04');
const resolve = (text: string, ref = WED) => findDates(text.toLowerCase(), ref).map((d) => isoDate(d.day));
const deadlines = (text: string, ref = WED) => findDates(text.toLowerCase(), ref).filter((d) => d.cued).map((d) => isoDate(d.day));

describe('date expressions resolve against the message date', () => {
  it('weekday names in all four languages mean the next such day', () => {
    expect(resolve('Bitte bis Freitag erledigen')).toEqual(['2026-03-06']);
    expect(resolve('Please send it by Monday')).toEqual(['2026-03-09']);
    expect(resolve('avant vendredi')).toEqual(['2026-03-06']);
    expect(resolve('entro venerdì')).toEqual(['2026-03-06']);
    expect(resolve('entro venerdi')).toEqual(['2026-03-06']);
    // The same weekday as the message is a week later, not today.
    expect(resolve('bis Mittwoch')).toEqual(['2026-03-11']);
  });

  it('"next Thursday" said on a Wednesday is the Thursday of next week', () => {
    expect(resolve('dinner next Thursday')).toEqual(['2026-03-12']);
    expect(resolve('jeudi prochain')).toEqual(['2026-03-12']);
    expect(resolve('giovedì prossimo')).toEqual(['2026-03-12']);
    expect(resolve('on Thursday')).toEqual(['2026-03-05']);
  });

  it('today, tomorrow, end of day and the day after tomorrow', () => {
    expect(resolve('by tomorrow EOD')).toEqual(['2026-03-05']);
    expect(resolve('bis morgen früh')).toEqual(['2026-03-05']);
    expect(resolve('guten Morgen zusammen')).toEqual([]);
    expect(resolve('by end of day')).toEqual(['2026-03-04']);
    expect(resolve("d'ici demain")).toEqual(['2026-03-05']);
    expect(resolve('entro domani')).toEqual(['2026-03-05']);
    expect(resolve('dopodomani')).toEqual(['2026-03-06']);
    expect(resolve('übermorgen')).toEqual(['2026-03-06']);
    expect(resolve('heute noch')).toEqual(['2026-03-04']);
  });

  it('absolute dates in the usual notations', () => {
    expect(resolve('zahlbar bis 31.12.2026')).toEqual(['2026-12-31']);
    expect(resolve('bis 16.03. prüfen')).toEqual(['2026-03-16']);
    expect(resolve('entro il 15 marzo')).toEqual(['2026-03-15']);
    expect(resolve('avant le 3 décembre')).toEqual(['2026-12-03']);
    expect(resolve('le 1er avril 2026')).toEqual(['2026-04-01']);
    expect(resolve('due Dec 3')).toEqual(['2026-12-03']);
    expect(resolve('by April 2nd, 2026')).toEqual(['2026-04-02']);
    expect(resolve('the 3rd of December')).toEqual(['2026-12-03']);
    expect(resolve('am 15. März 2026')).toEqual(['2026-03-15']);
    expect(resolve('le 15/03/2026')).toEqual(['2026-03-15']);
    expect(resolve('deadline 2026-03-20')).toEqual(['2026-03-20']);
  });

  it('rolls dates without a year into the next year, and weekdays across the new year', () => {
    const dec18 = dayOfIso('2026-12-18'); // a Friday
    expect(resolve('zahlbar bis 15. Januar', dec18)).toEqual(['2027-01-15']);
    expect(resolve('by Jan 5', dec18)).toEqual(['2027-01-05']);
    expect(resolve('bis 8.1.', dec18)).toEqual(['2027-01-08']);
    expect(resolve('bis Freitag', dec18)).toEqual(['2026-12-25']);
    expect(resolve('by Friday', dayOfIso('2026-12-30'))).toEqual(['2027-01-01']);
    expect(resolve('nächste Woche', dayOfIso('2026-12-30'))).toEqual(['2027-01-04']);
    // A date a few days back stays in this year (a reference, not next year's).
    expect(resolve('Ihre Bestellung vom 2. März')).toEqual(['2026-03-02']);
  });

  it('relative periods: within N days, end of week, next week, end of month', () => {
    expect(resolve('innerhalb von 10 Tagen')).toEqual(['2026-03-14']);
    expect(resolve('within 3 days')).toEqual(['2026-03-07']);
    expect(resolve('sous 8 jours')).toEqual(['2026-03-12']);
    expect(resolve('entro 7 giorni')).toEqual(['2026-03-11']);
    expect(resolve('in zwei Wochen')).toEqual(['2026-03-18']);
    expect(resolve('bis Ende der Woche')).toEqual(['2026-03-06']);
    expect(resolve('next week')).toEqual(['2026-03-09']);
    expect(resolve('end of the month')).toEqual(['2026-03-31']);
    expect(resolve('fine mese')).toEqual(['2026-03-31']);
  });

  it('rejects impossible dates, amounts and version numbers', () => {
    expect(resolve('am 31.02.2026')).toEqual([]);
    expect(resolve('CHF 12.50 und Version 1.2.3')).toEqual([]);
    expect(resolve('10.30 Uhr')).toEqual([]);
  });

  it('marks a date as a deadline only after a deadline word', () => {
    expect(deadlines('Die Rechnung ist zahlbar bis 31.03.2026.')).toEqual(['2026-03-31']);
    expect(deadlines('à régler au plus tard le 20 mars')).toEqual(['2026-03-20']);
    expect(deadlines('scadenza 18/03/2026')).toEqual(['2026-03-18']);
    expect(deadlines('Wir haben uns am 2. März getroffen.')).toEqual([]);
  });

  it('uses the sender’s local day, not the UTC day', () => {
    // 00:30 in Zürich on Thursday is still Wednesday in UTC.
    const t = Date.parse('2026-03-05T00:30:00+01:00');
    expect(isoDate(localDay(t, 60))).toBe('2026-03-05');
    expect(isoDate(localDay(t, 0))).toBe('2026-03-04');
  });
});
