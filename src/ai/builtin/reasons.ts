import type { Reason } from '../types.js';

export type ReaderLanguage = 'de' | 'en';
type Params = Reason['params'];
type Template = (p: Params, lang: ReaderLanguage) => string;

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ISO date → "06.03.2026" (de) or "6 Mar 2026" (en); anything else is shown as given. */
export function formatDate(iso: string | number | undefined, lang: ReaderLanguage): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso ?? ''));
  if (!m) return String(iso ?? '');
  const [, y, mo, d] = m;
  return lang === 'de' ? `${d}.${mo}.${y}` : `${Number(d)} ${MONTHS_EN[Number(mo) - 1]} ${y}`;
}

const CATEGORY_NAMES: Record<string, [string, string]> = {
  action_required: ['Handlung nötig', 'action required'],
  urgent: ['dringend', 'urgent'],
  information: ['Information', 'information'],
  newsletter: ['Newsletter', 'newsletter'],
  spam: ['Spam', 'spam'],
  personal: ['persönlich', 'personal'],
  calendar: ['Kalender', 'calendar'],
  transactional: ['Benachrichtigung', 'notification'],
};

const AXIS_NAMES: Record<string, [string, string]> = {
  urgency: ['Dringlichkeit', 'urgency'],
  importance: ['Wichtigkeit', 'importance'],
  category: ['Kategorie', 'category'],
  spam: ['Spam', 'spam'],
};

function pick(lang: ReaderLanguage, de: string, en: string): string {
  return lang === 'de' ? de : en;
}

function learnedValue(p: Params, lang: ReaderLanguage): string {
  if (p.axis === 'category') return (CATEGORY_NAMES[String(p.value)] ?? [String(p.value), String(p.value)])[lang === 'de' ? 0 : 1];
  if (p.axis === 'spam') return p.value === 1 ? pick(lang, 'ja', 'yes') : pick(lang, 'nein', 'no');
  return String(p.value);
}

/** Every reason code the built-in analyser and the learner emit, with its German and English text. */
export const REASON_TEMPLATES: Record<string, Template> = {
  vip_sender: (_, l) => pick(l, 'VIP-Absender', 'VIP sender'),
  own_domain: (_, l) => pick(l, 'Absender aus der eigenen Organisation', 'Sender from your own organisation'),
  trusted_sender: (_, l) => pick(l, 'Vertrauenswürdiger Absender', 'Trusted sender'),
  replied_before: (_, l) => pick(l, 'Sie haben diesem Absender schon geantwortet', 'You have replied to this sender before'),
  earlier_correspondence: (p, l) => pick(l, `${p.count} frühere Nachrichten mit diesem Absender`, `${p.count} earlier messages with this sender`),
  unknown_sender: (_, l) => pick(l, 'Unbekannter Absender', 'Unknown sender'),
  direct_recipient: (_, l) => pick(l, 'Direkt an Sie adressiert', 'Addressed to you directly'),
  cc_only: (_, l) => pick(l, 'Sie stehen nur in Kopie (Cc)', 'You are only in copy (Cc)'),
  bcc_only: (_, l) => pick(l, 'Sie sind nicht sichtbar adressiert (Bcc oder Verteiler)', 'You are not visibly addressed (Bcc or list)'),
  many_recipients: (p, l) => pick(l, `An ${p.count} Empfänger`, `Sent to ${p.count} recipients`),
  list_unsubscribe: (_, l) => pick(l, 'Abmeldelink im Kopf (List-Unsubscribe)', 'Unsubscribe header (List-Unsubscribe)'),
  list_id: (_, l) => pick(l, 'Verteilerliste (List-Id)', 'Mailing list (List-Id)'),
  bulk_precedence: (p, l) => pick(l, `Massenversand (Precedence: ${p.value})`, `Bulk mail (Precedence: ${p.value})`),
  auto_submitted: (_, l) => pick(l, 'Automatisch erzeugt (Auto-Submitted)', 'Automatically generated (Auto-Submitted)'),
  bulk_mailer: (_, l) => pick(l, 'Versand über ein Newsletter-System', 'Sent through a bulk-mail system'),
  unsubscribe_text: (_, l) => pick(l, 'Abmeldehinweis im Text', 'Unsubscribe notice in the text'),
  request: (_, l) => pick(l, 'Enthält eine Bitte oder Aufforderung', 'Contains a request'),
  question: (_, l) => pick(l, 'Enthält eine direkte Frage', 'Contains a direct question'),
  payment_due: (_, l) => pick(l, 'Zahlung gefordert', 'Payment requested'),
  payment_automatic: (_, l) => pick(l, 'Zahlung erfolgt automatisch oder ist erledigt', 'Payment is automatic or already made'),
  dunning: (_, l) => pick(l, 'Zahlungserinnerung oder Mahnung', 'Payment reminder or dunning'),
  final_notice: (_, l) => pick(l, 'Letzte Mahnung, Inkasso oder rechtliche Schritte angedroht', 'Final notice, collection or legal action threatened'),
  legal: (_, l) => pick(l, 'Vertrag oder rechtliches Thema', 'Contract or legal matter'),
  meeting: (p, l) =>
    p.date ? pick(l, `Termin am ${formatDate(p.date, l)}`, `Meeting on ${formatDate(p.date, l)}`) : pick(l, 'Terminanfrage', 'Meeting request'),
  calendar_invite: (p, l) => {
    const what = String(p.method) === 'CANCEL' ? pick(l, 'Absage eines Termins', 'Meeting cancellation') : pick(l, 'Kalendereinladung', 'Calendar invitation');
    return p.date ? `${what} (${formatDate(p.date, l)})` : what;
  },
  escalation: (_, l) => pick(l, 'Beschwerde oder Eskalation', 'Complaint or escalation'),
  urgent_marker: (_, l) => pick(l, 'Als dringend bezeichnet', 'Marked as urgent'),
  high_priority: (_, l) => pick(l, 'Mit hoher Priorität gesendet', 'Sent with high priority'),
  deadline: (p, l) => pick(l, `Frist: ${formatDate(p.date, l)}`, `Deadline: ${formatDate(p.date, l)}`),
  overdue: (p, l) => pick(l, `Frist überschritten seit ${formatDate(p.date, l)}`, `Overdue since ${formatDate(p.date, l)}`),
  transactional: (_, l) => pick(l, 'Automatische Benachrichtigung (Bestellung, Versand, Konto)', 'Automated notice (order, shipping, account)'),
  personal_tone: (_, l) => pick(l, 'Persönlicher Ton', 'Personal tone'),
  fyi: (_, l) => pick(l, 'Nur zur Information', 'For information only'),
  spam_header: (_, l) => pick(l, 'Vom Mailserver als Spam markiert', 'Marked as spam by the mail server'),
  spam_phrases: (p, l) => pick(l, `${p.count} typische Spam-Formulierungen`, `${p.count} typical spam phrases`),
  sender_mismatch: (_, l) => pick(l, 'Anzeigename passt nicht zur Absenderadresse', 'Display name does not match the sender address'),
  shouting_subject: (_, l) => pick(l, 'Betreff in Großbuchstaben oder mit !!!', 'Subject in capitals or with !!!'),
  ip_link: (_, l) => pick(l, 'Link auf eine nackte IP-Adresse', 'Link to a bare IP address'),
  learned: (p, l) => {
    const axis = (AXIS_NAMES[String(p.axis)] ?? [String(p.axis), String(p.axis)])[l === 'de' ? 0 : 1];
    return pick(l, `Aus Ihren Korrekturen gelernt: ${axis} ${learnedValue(p, l)}`, `Learned from your corrections: ${axis} ${learnedValue(p, l)}`);
  },
};

/** Renders a reason in the reader's language; an unknown code is shown as the code itself. */
export function renderReason(reason: Reason, lang: ReaderLanguage): string {
  const template = REASON_TEMPLATES[reason.code];
  return template ? template(reason.params, lang) : reason.code;
}
