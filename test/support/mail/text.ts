import type { Rng } from './random.js';

/** Word pools so bodies look like mail (and exercise umlauts, Cyrillic and cp1252 punctuation). */
const german = (
  'der die das und nicht mit für über Größe Grüße Änderung Übersicht Prüfung möglich schön Bestätigung ' +
  'Rechnung Angebot Termin Besprechung morgen heute Woche Projekt Kunde Lieferung bitte danke gerne ' +
  'wir haben noch eine Frage zum Vertrag Unterlagen anbei Rückmeldung Straße Maßnahme Büro Verfügung'
).split(' ');
const english = (
  'the and with for about meeting invoice project update please thanks regards review draft schedule ' +
  'tomorrow today week customer delivery attached question contract documents feedback team budget report'
).split(' ');
const russian = (
  'привет спасибо встреча проект отчёт завтра сегодня неделя клиент договор вопрос документы ' +
  'пожалуйста счёт поставка бюджет команда новости письмо ответ'
).split(' ');

export type Language = 'de' | 'en' | 'ru';

const pools: Record<Language, string[]> = { de: german, en: english, ru: russian };

export function words(rng: Rng, n: number, lang: Language): string {
  const pool = pools[lang];
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.pick(pool));
  return out.join(' ');
}

export function sentence(rng: Rng, lang: Language): string {
  const s = words(rng, rng.int(5, 14), lang);
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
}

/** Lines of at most ~72 characters, joined by CRLF, until about `minChars` characters. */
export function paragraphs(rng: Rng, minChars: number, lang: Language, extra: readonly string[] = []): string {
  const lines: string[] = [];
  let total = 0;
  let line = '';
  while (total < minChars) {
    const s = rng.chance(0.1) && extra.length ? rng.pick(extra) : sentence(rng, lang);
    for (const w of s.split(' ')) {
      if (line && line.length + w.length + 1 > 72) {
        lines.push(line);
        total += line.length + 2;
        line = '';
      }
      line = line ? `${line} ${w}` : w;
    }
    if (rng.chance(0.2)) {
      lines.push(line, '');
      total += line.length + 4;
      line = '';
    }
  }
  if (line) lines.push(line);
  return lines.join('\r\n');
}

export const people: ReadonlyArray<readonly [string, string]> = [
  ['Jürgen Müller', 'juergen.mueller@example.de'],
  ['Anna Schmidt', 'anna.schmidt@example.de'],
  ['Zoë Brontë', 'zoe@example.org'],
  ['Ольга Иванова', 'olga@example.ru'],
  ['Bob Miller', 'bob@example.com'],
  ['Sören Weiß', 'soeren.weiss@example.de'],
  ['Carla Pérez', 'carla@example.es'],
  ['Max Mustermann', 'max@example.net'],
  ['Dr. Käthe Ölberg', 'k.oelberg@example.at'],
  ['Lee, Kim', 'kim.lee@example.com'],
];

export const me: readonly [string, string] = ['Test Nutzer', 'user@mailhelper.test'];

export const newsletterSenders: ReadonlyArray<readonly [string, string, string]> = [
  ['Shop Neuigkeiten', 'news@shop.example', 'shop-news.shop.example'],
  ['Weekly Digest', 'digest@weekly.example', 'digest.weekly.example'],
  ['Vereinsblatt', 'info@verein.example', 'mitglieder.verein.example'],
];

export const germanSubjects = [
  'Grüße aus München',
  'Änderung der Übersicht für nächste Woche',
  'Rückfrage zur Rechnung Nr. 4711',
  'Bestätigung: Termin am Dienstag',
  'Prüfbericht – bitte gegenlesen',
  'Straßenfest im Büro?',
];
export const englishSubjects = ['Quarterly report', 'Meeting notes', 'Invoice overdue', 'Lunch on Friday?', 'Project status', 'Contract draft v3'];
export const russianSubjects = ['Отчёт за неделю', 'Встреча завтра', 'Счёт на оплату'];
