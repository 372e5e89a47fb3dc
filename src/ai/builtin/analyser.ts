import type { AnalysisInput, AnalysisResult, Category, Reason, UserSignals } from '../types.js';
import { findDates, isoDate, localDay, type FoundDate } from './dates.js';
import { readBulkSignals, readSpamSignals } from './header-signals.js';
import { detectLanguage } from './language.js';
import { applyModel } from './learner.js';
import type { SignalGroup } from './lexicon.js';
import { readMessageText } from './message-text.js';
import { countHits, findPhrases } from './phrases.js';
import { clampLevel, colourOf, scoreOf, urgencyForDeadline } from './score.js';
import { isFreemailDomain, relationOf } from './senders.js';
import { summarise } from './summary.js';

export interface AnalyseOptions {
  /** Rate deadlines against this instant instead of the message date (re-rating as deadlines near). */
  now?: number;
}

const SUBJECT_PREFIX = /^(?:\s*(?:re|aw|antw|wg|fw|fwd|tr|r|i|rif|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+/i;
const PERSONAL_SIGN_OFFS = new Set(['liebe grüße', 'liebe grüsse', 'herzliche grüße', 'herzliche grüsse', 'lg', 'love', 'xoxo', 'bises', 'bisous', 'un abbraccio', 'baci', 'hugs']);
const INFORMAL_GREETING = /^(?:hallo|hi|hey|liebe|lieber|servus|moin|ciao|salut|caro|cara|cari)(?![\p{L}])/iu;

/**
 * The built-in analyser: deterministic, offline and fast. Same input and signals, same result.
 * Signals and their weights are described in docs/analysis.md.
 */
export function analyseMessage(input: AnalysisInput, signals: UserSignals, options: AnalyseOptions = {}): AnalysisResult {
  const rel = relationOf(input, signals);
  const text = readMessageText(input.text);
  const subject = input.subject.replace(SUBJECT_PREFIX, '').trim();
  const scan = `${subject}\n${text.flat}`.toLowerCase().replace(/[’`]/g, "'");
  const bodyStart = subject.length + 1;

  const hits = findPhrases(scan);
  const counts = countHits(hits);
  const subjectCounts = countHits(hits.filter((h) => h.index < bodyStart));
  const language = detectLanguage(scan);

  // Map phrase hits and dates to sentences (-1 = subject).
  const starts = text.sentences.map((s) => s.start + bodyStart);
  const sentenceAt = (index: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  const groupsBySentence = new Map<number, Set<SignalGroup>>();
  for (const h of hits) {
    const s = sentenceAt(h.index);
    let set = groupsBySentence.get(s);
    if (!set) groupsBySentence.set(s, (set = new Set()));
    set.add(h.group);
  }

  const refDay = localDay(input.date, input.timeZoneOffsetMinutes ?? 0);
  const nowDay = options.now === undefined ? refDay : localDay(options.now, input.timeZoneOffsetMinutes ?? 0);
  const dates = findDates(scan, refDay).filter((d) => d.day >= refDay - 120 && d.day <= refDay + 400);
  const datedSentences = new Set(dates.map((d) => sentenceAt(d.index)));
  const actionWords: SignalGroup[] = ['request', 'urgent', 'deadline', 'payment', 'dunning', 'finalNotice'];
  // A past date counts only with a deadline word ("fällig seit"): otherwise it is an invoice or letter date.
  const isDeadline = (d: FoundDate) => {
    if (d.cued) return true;
    const g = groupsBySentence.get(sentenceAt(d.index));
    return d.day >= refDay && !!g && actionWords.some((w) => g.has(w));
  };
  const deadlines = dates.filter(isDeadline).map((d) => d.day);
  const meetingDays = dates
    .filter((d) => d.day >= refDay && groupsBySentence.get(sentenceAt(d.index))?.has('meeting'))
    .map((d) => d.day);

  const bulk = readBulkSignals(input, rel, counts, subjectCounts);
  const spam = readSpamSignals(input, rel, counts);
  const reasons: Reason[] = [];
  const add = (code: string, params: Reason['params'] = {}) => reasons.push({ code, params });

  // Relationship.
  if (rel.isVip) add('vip_sender');
  if (rel.isOwnDomain && !rel.isSelf) add('own_domain');
  if (rel.isTrusted) add('trusted_sender');
  if (input.thread.userRepliedToSender) add('replied_before');
  else if (input.thread.earlierCorrespondence > 0) add('earlier_correspondence', { count: input.thread.earlierCorrespondence });
  const known = rel.isVip || rel.isOwnDomain || rel.isTrusted || input.thread.userRepliedToSender || input.thread.earlierCorrespondence > 0;
  if (rel.isDirect) add('direct_recipient');
  else if (rel.isCcOnly) add('cc_only');
  else if (rel.isBccOnly) add('bcc_only');
  if (rel.recipientCount > 10) add('many_recipients', { count: rel.recipientCount });
  reasons.push(...bulk.reasons, ...spam.reasons);

  const human = !bulk.isAutomated;
  const question = human && text.sentences.some((s) => s.text.endsWith('?'));
  const request = counts.request > 0;
  const final = counts.finalNotice > 0;
  const dunning = final || counts.dunning > 0;
  const autoPay = counts.autoPayment > 0 && !dunning;
  const paymentDue = (counts.payment > 0 || dunning) && !autoPay;
  const legal = counts.legal > 0;
  const escalation = counts.escalation > 0;
  const urgentWord = counts.urgent > 0;
  const meeting = counts.meeting > 0;
  const fyi = counts.fyi > 0;
  // One personal word ("weekend") in office mail is not enough; a private sender or informal greeting is needed too.
  const privateSender = isFreemailDomain(rel.domain);
  const informal = text.greeting !== null && INFORMAL_GREETING.test(text.greeting);
  const personalTone =
    (text.signOff !== null && PERSONAL_SIGN_OFFS.has(text.signOff)) ||
    counts.personal > 1 ||
    (counts.personal > 0 && (privateSender || informal)) ||
    (informal && privateSender);
  const noRush = counts.noRush > 0;

  const deadline = deadlines.length ? Math.min(...deadlines) : null;
  const daysLeft = deadline === null ? null : deadline - nowDay;
  const highPriority = input.headers.priority === 'high';

  // Urgency: how soon the user has to act.
  let urgency = 1;
  if (request || paymentDue || (question && rel.isDirect) || (escalation && human)) urgency = 2;
  if (daysLeft !== null) urgency = Math.max(urgency, urgencyForDeadline(daysLeft));
  if (urgentWord) urgency = Math.max(urgency, request || paymentDue || escalation || daysLeft !== null ? 3 : 2);
  if (final) urgency = 3;
  else if (dunning) urgency = Math.max(urgency, 2);
  if (escalation && (urgentWord || rel.isVip)) urgency = 3;
  if (highPriority && human) urgency += 1;
  if (rel.isCcOnly && !rel.isVip) urgency -= 1;
  if (fyi && !request && daysLeft === null) urgency = 1;
  if (noRush && !urgentWord && (daysLeft === null || daysLeft > 7)) urgency = 1;

  // Importance: how much it matters.
  let importance = known || rel.isDirect ? 2 : 1;
  if (!known && !request && !paymentDue && !legal && !escalation && !question) importance = 1;
  if (rel.isVip) importance = 3;
  if (legal && (request || daysLeft !== null || final || counts.legal > 1)) importance = 3;
  else if (legal) importance = Math.max(importance, 2);
  if (paymentDue) importance = Math.max(importance, dunning ? 3 : 2);
  if (escalation && human) importance = 3;
  if ((rel.isCcOnly || rel.isBccOnly) && !rel.isVip) importance -= 1;
  if (personalTone && human) importance = Math.max(importance, 2);

  // Category, first match wins (order documented in types.ts).
  const meetingDay = meetingDays.length ? Math.min(...meetingDays) : null;
  const transactionalLike = bulk.isAutomated || autoPay || subjectCounts.transactional > 0 || counts.transactional > 1;
  // A date alone ("delivery by Friday") does not make an order or shipping notice a task.
  const actionable =
    request || paymentDue || final || (escalation && human) || (question && rel.isDirect) || (daysLeft !== null && human && !transactionalLike);
  let category: Category;
  if (spam.isSpam) category = 'spam';
  else if (bulk.isNewsletter) category = 'newsletter';
  else if (input.calendarMethod) category = 'calendar';
  else if (personalTone && human && !paymentDue && !legal && !escalation && !(rel.isOwnDomain && request)) category = 'personal';
  else if (actionable && (human || paymentDue) && !autoPay) category = clampLevel(urgency) === 3 ? 'urgent' : 'action_required';
  else if (bulk.isAutoReply) category = 'information';
  else if (transactionalLike) category = 'transactional';
  else category = 'information';

  if (category === 'spam' || category === 'newsletter') {
    urgency = 1;
    importance = 1;
  } else if (bulk.isAutoReply && category === 'information') {
    urgency = 1;
    importance = 1;
  } else if (category === 'transactional') {
    urgency = 1;
    importance = paymentDue ? 2 : 1;
  } else if (category === 'calendar') {
    const cancel = (input.calendarMethod ?? '').toUpperCase() === 'CANCEL';
    urgency = !cancel && meetingDay !== null && meetingDay - nowDay <= 2 ? 2 : 1;
    importance = cancel ? 1 : Math.max(2, rel.isVip ? 3 : 2);
  } else if (category === 'personal') {
    // Private mail is pressing only when what it is about happens within three days.
    const soon = dates.some((d) => d.day >= nowDay && d.day - nowDay <= 3);
    urgency = soon && (question || request) ? 2 : 1;
  } else if (category === 'urgent') {
    urgency = 3;
  }

  // Reasons for what decided it.
  if (request) add('request');
  else if (question) add('question');
  if (final) add('final_notice');
  else if (dunning) add('dunning');
  else if (paymentDue) add('payment_due');
  if (autoPay) add('payment_automatic');
  if (legal) add('legal');
  if (escalation) add('escalation');
  if (urgentWord) add('urgent_marker');
  if (highPriority) add('high_priority');
  if (deadline !== null) add(deadline < refDay ? 'overdue' : 'deadline', { date: isoDate(deadline) });
  if (input.calendarMethod) add('calendar_invite', meetingDay === null ? { method: input.calendarMethod.toUpperCase() } : { method: input.calendarMethod.toUpperCase(), date: isoDate(meetingDay) });
  else if (meeting) add('meeting', meetingDay === null ? {} : { date: isoDate(meetingDay) });
  if (category === 'transactional' && counts.transactional > 0) add('transactional');
  if (personalTone && category === 'personal') add('personal_tone');
  if (fyi) add('fyi');
  if (!known && human && category !== 'spam') add('unknown_sender');

  const u = clampLevel(urgency);
  const i = clampLevel(importance);
  const strong = [spam.isSpam, bulk.isNewsletter, !!input.calendarMethod, deadline !== null, rel.isVip, dunning, request, legal, escalation, counts.transactional > 0].filter(Boolean).length;
  const confidence = Math.round(Math.min(0.95, category === 'information' && strong === 0 ? 0.45 : 0.55 + 0.1 * strong) * 100) / 100;

  const subjectWords = new Set((subject.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 3));
  const summaryText = category === 'spam' ? '' : summarise(text.sentences, (n) => groupsBySentence.get(n), (n) => datedSentences.has(n), subjectWords);

  const result: AnalysisResult = {
    urgency: u,
    importance: i,
    score: scoreOf(u, i),
    colour: colourOf(scoreOf(u, i)),
    category,
    isNewsletter: category === 'newsletter',
    isSpam: category === 'spam',
    summary: summaryText || (category === 'spam' ? '' : subject),
    language,
    suggestedTags: tagsFor(category, { paymentDue, dunning, legal, meeting: meeting || !!input.calendarMethod, escalation, deadline: deadline !== null, transactional: counts.transactional > 0, vip: rel.isVip }),
    deadline: deadline === null ? null : isoDate(deadline),
    confidence,
    reasons,
    source: 'builtin',
  };
  return signals.model ? applyModel(result, input, signals.model) : result;
}

function tagsFor(category: Category, f: Record<string, boolean>): string[] {
  const tags: string[] = [];
  if (category === 'spam') return ['spam'];
  if (category === 'newsletter') tags.push('newsletter');
  if (f.dunning) tags.push('dunning');
  if (f.paymentDue) tags.push('invoice');
  if (f.legal) tags.push('contract');
  if (f.meeting) tags.push('meeting');
  if (f.escalation) tags.push('complaint');
  if (f.deadline && category !== 'newsletter') tags.push('deadline');
  if (f.transactional && category === 'transactional') tags.push('order');
  if (category === 'personal') tags.push('personal');
  if (f.vip) tags.push('vip');
  return tags;
}
