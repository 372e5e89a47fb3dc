/**
 * The analyser interface shared by the built-in analyser and (later) LLM providers.
 * Everything here is plain data: an analyser is a pure function of (AnalysisInput, UserSignals).
 */

export interface MailAddress {
  name: string | null;
  address: string;
}

/** Languages the built-in analyser knows; anything else is `other`. */
export const ANALYSIS_LANGUAGES = ['de', 'en', 'fr', 'it'] as const;
export type AnalysisLanguage = (typeof ANALYSIS_LANGUAGES)[number] | 'other';

/**
 * Categories, first match wins in this order when the built-in analyser decides:
 * - `spam`: unsolicited, deceptive or fraudulent mail (conservative: needs several independent signals).
 * - `newsletter`: bulk mail the user subscribed to (list headers, bulk precedence, bulk mailers).
 * - `calendar`: an iCalendar invitation, update or cancellation (METHOD present).
 * - `urgent`: the user must act and time is short (deadline within a day or overdue, escalation, final notice).
 * - `action_required`: the user is asked to do something (reply, pay, sign, decide, attend) without that pressure.
 * - `transactional`: automated notices about the user's own dealings (orders, shipping, receipts, statements,
 *   password resets) that need no action.
 * - `personal`: private, one-to-one mail between people without a business request.
 * - `information`: everything else worth reading: updates, FYI, copies (Cc), mailing-list posts.
 */
export const CATEGORIES = [
  'action_required',
  'urgent',
  'information',
  'newsletter',
  'spam',
  'personal',
  'calendar',
  'transactional',
] as const;
export type Category = (typeof CATEGORIES)[number];

export type Level = 1 | 2 | 3;
export type Colour = 'red' | 'yellow' | 'green';

/** Header values the analyser reads; absent headers are undefined or null. Raw header text, unfolded. */
export interface HeadersOfInterest {
  listUnsubscribe?: string | null;
  listUnsubscribePost?: string | null;
  listId?: string | null;
  precedence?: string | null;
  autoSubmitted?: string | null;
  /** X-Mailer or User-Agent. */
  xMailer?: string | null;
  /** Names of other bulk-mail headers present (X-Campaign, X-Mailgun-Tag, Feedback-ID, X-MC-User, …). */
  bulkMarkers?: string[];
  returnPath?: string | null;
  /** From X-Priority / Importance / Priority, normalised by the caller. */
  priority?: 'high' | 'normal' | 'low' | null;
  /** The receiving server's own verdict (X-Spam-Flag: YES, X-Spam-Status: Yes…), if any. */
  spamFlag?: boolean | null;
}

export interface ThreadFacts {
  /** The message answers another (In-Reply-To / References / Re: subject). */
  isReply: boolean;
  /** The user has sent mail to this sender before. */
  userRepliedToSender: boolean;
  /** Messages exchanged with this sender before this one (both directions). */
  earlierCorrespondence: number;
}

export interface AnalysisInput {
  subject: string;
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  /** The user received the message without being in To or Cc (Bcc or an undisclosed list). */
  hasBcc: boolean;
  /** The user's own addresses in this account (lower-case not required). */
  userAddresses: string[];
  /** Message date, epoch ms. Relative dates ("bis Freitag") are resolved against it. */
  date: number;
  /** Offset of the sender's Date header in minutes east of UTC (e.g. 60 for +0100); default 0. */
  timeZoneOffsetMinutes?: number;
  /** Decoded plain text of the body (HTML already converted to text by the caller). */
  text: string;
  headers: HeadersOfInterest;
  hasAttachments: boolean;
  /** METHOD of an attached iCalendar object (REQUEST, CANCEL, REPLY, …), or null. */
  calendarMethod: string | null;
  thread: ThreadFacts;
}

/** Opaque per-user learned model (see learner.ts); produced and read only by the learner. */
export interface LearnedModel {
  readonly kind: 'perceptron-v1';
  readonly [key: string]: unknown;
}

export interface UserSignals {
  /** Addresses or patterns with `*` wildcards: `boss@firma.ch`, `*@firma.ch`, `*@*.firma.ch`, `firma.ch`. */
  vipPatterns: string[];
  /** The user's organisation's domains (subdomains included). */
  ownDomains: string[];
  /** Senders the user trusts (same pattern syntax); never marked as spam. */
  trustedSenders: string[];
  model?: LearnedModel | null;
}

export interface Reason {
  /** Stable code, rendered by renderReason. */
  code: string;
  /** Plain values; dates are ISO dates (YYYY-MM-DD), never relative words. */
  params: Record<string, string | number>;
}

export interface AnalysisResult {
  urgency: Level;
  importance: Level;
  /** 2·urgency + importance, 3–9. */
  score: number;
  colour: Colour;
  category: Category;
  isNewsletter: boolean;
  isSpam: boolean;
  /** 1–3 sentences taken from the message, in its language; '' when there is no text. */
  summary: string;
  language: AnalysisLanguage;
  /** Stable English keys (see docs/analysis.md), for the caller to map onto the user's tags. */
  suggestedTags: string[];
  /** The earliest deadline found, ISO date, or null; lets a caller re-rate urgency as it nears. */
  deadline: string | null;
  confidence: number;
  reasons: Reason[];
  source: AnalysisSource;
}

/** Who produced an analysis: the built-in analyser, an LLM (`llm:<provider>/<model>`), or the user's correction. */
export type AnalysisSource = 'builtin' | 'user' | `llm:${string}`;
