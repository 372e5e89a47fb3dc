import type { AnalysisInput, Reason } from '../types.js';
import type { SignalCounts } from './phrases.js';
import { domainOf, type SenderRelation } from './senders.js';

export interface BulkSignals {
  isNewsletter: boolean;
  /** Sent by a machine: Auto-Submitted, bulk precedence, bulk mailer, list headers or a no-reply address. */
  isAutomated: boolean;
  /** An out-of-office or other automatic answer on a person's behalf. */
  isAutoReply: boolean;
  reasons: Reason[];
}

const BULK_MAILERS =
  /mailchimp|mandrill|sendinblue|brevo|mailjet|campaign|newsletter|hubspot|marketo|exacttarget|salesforce|cleverreach|rapidmail|constant ?contact|klaviyo|sendgrid|mailgun|emarsys|acoustic|substack|mailerlite|getresponse|inxmail|optivo|episerver|mailpoet|sendy|phplist|listmonk|customer\.io|braze|iterable/i;

export function readBulkSignals(input: AnalysisInput, rel: SenderRelation, counts: SignalCounts, subjectCounts: SignalCounts): BulkSignals {
  const h = input.headers;
  const reasons: Reason[] = [];
  let score = 0;
  if (h.listUnsubscribe) {
    score += 2;
    reasons.push({ code: 'list_unsubscribe', params: {} });
  }
  if (h.listUnsubscribePost) score += 0.5;
  if (h.listId) {
    score += 0.5;
    reasons.push({ code: 'list_id', params: {} });
  }
  const precedence = (h.precedence ?? '').trim().toLowerCase();
  if (precedence === 'bulk' || precedence === 'junk' || precedence === 'list') {
    score += precedence === 'list' ? 0.5 : 1;
    reasons.push({ code: 'bulk_precedence', params: { value: precedence } });
  }
  const bulkMailer = (h.xMailer && BULK_MAILERS.test(h.xMailer)) || (h.bulkMarkers?.length ?? 0) > 0;
  if (bulkMailer) {
    score += 1;
    reasons.push({ code: 'bulk_mailer', params: {} });
  }
  const autoSubmitted = !!h.autoSubmitted && h.autoSubmitted.trim().toLowerCase() !== 'no';
  if (autoSubmitted) reasons.push({ code: 'auto_submitted', params: {} });
  if (counts.unsubscribe > 0 && !rel.isVip && !rel.isOwnDomain) {
    // An unsubscribe notice in mail that does not name the user is how list mail without headers looks.
    score += rel.isBccOnly ? 2 : 1;
    reasons.push({ code: 'unsubscribe_text', params: {} });
  }
  // Shops send order and shipping notices with list headers too: the subject tells them apart,
  // unless bulk evidence is strong (a promotion about free shipping is still a newsletter).
  const transactionalSubject = subjectCounts.transactional + subjectCounts.autoPayment + subjectCounts.payment + subjectCounts.dunning > 0;
  const isNewsletter = score >= 2 && !(transactionalSubject && score < 3) && !rel.isVip && !rel.isSelf;
  const isAutoReply = autoSubmitted && h.autoSubmitted!.trim().toLowerCase().startsWith('auto-replied');
  const isAutomated =
    autoSubmitted || bulkMailer || !!h.listUnsubscribe || precedence === 'bulk' || precedence === 'junk' || rel.isAutomatedAddress;
  return { isNewsletter, isAutomated, isAutoReply, reasons };
}

export interface SpamSignals {
  isSpam: boolean;
  score: number;
  reasons: Reason[];
}

const BRANDS = [
  'paypal', 'amazon', 'apple', 'microsoft', 'netflix', 'google', 'dropbox', 'docusign', 'ubs', 'postfinance', 'swisscom', 'sparkasse',
  'dhl', 'fedex', 'ups', 'raiffeisen', 'visa', 'mastercard', 'intesa', 'unicredit', 'poste', 'la poste', 'bnp', 'ing',
];
const BRAND = new RegExp(`(?<![\\p{L}])(?:${BRANDS.join('|')})(?![\\p{L}])`, 'u');
const IP_LINK = /https?:\/\/\d{1,3}(?:\.\d{1,3}){3}/;

/**
 * Conservative: needs a score of 3 from independent signals, and any relationship with the sender
 * (VIP, trusted, own domain, earlier mail, replied) vetoes it. The server's own spam flag counts 3.
 */
export function readSpamSignals(input: AnalysisInput, rel: SenderRelation, counts: SignalCounts): SpamSignals {
  const reasons: Reason[] = [];
  const known = rel.isVip || rel.isTrusted || rel.isOwnDomain || rel.isSelf || input.thread.userRepliedToSender || input.thread.earlierCorrespondence > 1;
  let score = 0;
  if (input.headers.spamFlag) {
    score += 3;
    reasons.push({ code: 'spam_header', params: {} });
  }
  if (counts.spam > 0) {
    score += Math.min(counts.spam, 3);
    reasons.push({ code: 'spam_phrases', params: { count: counts.spam } });
  }
  const subject = input.subject;
  const letters = subject.replace(/[^\p{L}]/gu, '');
  if (/!{3,}|\${2,}|€{2,}/.test(subject) || (letters.length >= 10 && letters === letters.toUpperCase() && letters !== letters.toLowerCase())) {
    score += 1;
    reasons.push({ code: 'shouting_subject', params: {} });
  }
  const name = (input.from.name ?? '').toLowerCase();
  const nameAddress = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/.exec(name)?.[0];
  const brand = BRAND.exec(name)?.[0];
  if ((nameAddress && nameAddress !== rel.address) || (brand && !rel.domain.replace(/[^a-z]/g, '').includes(brand.replace(/[^a-z]/g, '')))) {
    score += 2;
    reasons.push({ code: 'sender_mismatch', params: {} });
  }
  const returnPath = input.headers.returnPath ? domainOf(input.headers.returnPath.replace(/[<>]/g, '')) : '';
  if (returnPath && rel.domain && !returnPath.endsWith(rel.domain) && !rel.domain.endsWith(returnPath)) score += 0.5;
  if (rel.isBccOnly) score += 1;
  if (IP_LINK.test(input.text)) {
    score += 1;
    reasons.push({ code: 'ip_link', params: {} });
  }
  const isSpam = !known && score >= 3;
  return { isSpam, score, reasons: isSpam ? reasons : [] };
}
