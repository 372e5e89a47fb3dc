import { normaliseAddress } from '../../ai/builtin/senders.js';
import type { UserCipher } from '../../crypto/crypto.js';

/** Keyed-hash purposes and sealing contexts of the mail store (see the column registry). */
export const MESSAGE_ID_PURPOSE = 'message.id.v1';
export const ENVELOPE_PURPOSE = 'message.envelope_match.v1';
export const THREAD_SUBJECT_PURPOSE = 'thread.subject.v1';
export const PARTICIPANT_PURPOSE = 'thread.participant.v1';

export const CONTEXT = {
  envelope: 'message.envelope.v1',
  text: 'message.text.v1',
  html: 'message.html.v1',
  snippet: 'message.snippet.v1',
  calendar: 'message.calendar.v1',
  source: 'message.source.v1',
  filename: 'attachment.filename.v1',
  contentId: 'attachment.content_id.v1',
  attachment: 'attachment.data.v1',
} as const;

/** Message-IDs compare case-insensitively here: clients re-case domains, and a collision needs a near-identical id anyway. */
export function normaliseMessageId(id: string): string {
  return id.trim().replace(/^<|>$/g, '').toLowerCase();
}

/** Keyed hash of a participant's address (normalised as everywhere), for the subject fallback of threading. */
export function participantHash(cipher: Pick<UserCipher, 'lookupHash'>, address: string): Buffer {
  return cipher.lookupHash(PARTICIPANT_PURPOSE, normaliseAddress(address));
}

export function messageIdHash(cipher: Pick<UserCipher, 'lookupHash'>, id: string): Buffer {
  return cipher.lookupHash(MESSAGE_ID_PURPOSE, normaliseMessageId(id));
}

/** What IMAP ENVELOPE + RFC822.SIZE give without downloading the body, in the form both sides can build. */
export interface EnvelopeKey {
  /** Epoch ms of the Date header, or null. */
  date: number | null;
  /** First From address. */
  fromAddress: string | null;
  /** Decoded subject. */
  subject: string;
  /** RFC822.SIZE. */
  size: number;
}

/**
 * Keyed hash of date, sender, subject and size. The sync loop builds it from a FETCH ENVELOPE
 * RFC822.SIZE response to re-attach copies after a UIDVALIDITY change without downloading bodies.
 */
export function envelopeHash(cipher: Pick<UserCipher, 'lookupHash'>, key: EnvelopeKey): Buffer {
  const subject = key.subject.normalize('NFC').replace(/\s+/g, ' ').trim();
  const from = (key.fromAddress ?? '').trim().toLowerCase();
  // Date headers carry whole seconds; IMAP ENVELOPE too.
  const date = key.date === null ? '' : String(Math.floor(key.date / 1000));
  return cipher.lookupHash(ENVELOPE_PURPOSE, [date, '\0', from, '\0', subject, '\0', String(key.size)]);
}

const REPLY_PREFIX = /^\s*((re|aw|wg|fw|fwd|sv|vs|antw|tr|rif|r)(\[\d+\])?\s*:\s*)+/i;

/** Whether a subject says it answers or forwards something. */
export function isReplySubject(subject: string): boolean {
  return REPLY_PREFIX.test(subject);
}

/** The subject with reply/forward prefixes removed, for the subject fallback of threading. */
export function threadSubject(subject: string): string {
  return subject.replace(REPLY_PREFIX, '').normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * IMAP flags as stored: unique, sorted, space-separated, without \Recent. \Recent belongs to one session (RFC 3501; gone in
 * IMAP4rev2): keeping it would store a flag no other client sees and make the next read look like a change.
 */
export function flagsText(flags: Iterable<string>): string {
  return [...new Set(flags)].filter((f) => f.toLowerCase() !== '\\recent').sort().join(' ');
}

export function hasFlag(flags: string, flag: string): boolean {
  return flags.split(' ').some((f) => f.toLowerCase() === flag.toLowerCase());
}
