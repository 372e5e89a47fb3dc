import type { AnalysisInput, UserSignals } from '../../../src/ai/types.js';

export const ME = 'lena.brunner@brunner-consulting.ch';

export const SIGNALS: UserSignals = {
  vipPatterns: ['*@alpina-bau.ch', 'm.keller@helvetia-treuhand.ch'],
  ownDomains: ['brunner-consulting.ch'],
  trustedSenders: [],
};

/** A plain message from an unknown person to the user, Wednesday 2026-03-04 10:00 +01:00. */
export function makeInput(over: Partial<AnalysisInput> = {}): AnalysisInput {
  return {
    subject: 'Hallo',
    from: { name: 'Karin Weber', address: 'karin.weber@weber-ag.example' },
    to: [{ name: 'Lena Brunner', address: ME }],
    cc: [],
    hasBcc: false,
    userAddresses: [ME],
    date: Date.parse('2026-03-04T10:00:00+01:00'),
    timeZoneOffsetMinutes: 60,
    text: '',
    headers: {},
    hasAttachments: false,
    calendarMethod: null,
    thread: { isReply: false, userRepliedToSender: false, earlierCorrespondence: 0 },
    ...over,
  };
}

/** A known business contact (earlier correspondence, the user replied before). */
export function fromContact(over: Partial<AnalysisInput> = {}): AnalysisInput {
  return makeInput({ thread: { isReply: false, userRepliedToSender: true, earlierCorrespondence: 5 }, ...over });
}
