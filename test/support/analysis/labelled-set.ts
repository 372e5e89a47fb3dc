import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisInput, Category, MailAddress, UserSignals } from '../../../src/ai/types.js';

/** Expected values; an axis left null is not scored for that message. */
export interface Expected {
  urgency: number | null;
  importance: number | null;
  category: Category | null;
  newsletter: boolean | null;
  spam: boolean | null;
}

export interface LabelledCase {
  id: string;
  input: AnalysisInput;
  expected: Expected;
}

export interface FixtureLine {
  id: string;
  date: string;
  from: MailAddress;
  to: string[];
  cc: string[];
  bcc: boolean;
  subject: string;
  text: string;
  headers: AnalysisInput['headers'];
  attachments: boolean;
  calendar: string | null;
  thread: { isReply: boolean; userReplied: boolean; earlier: number };
  expected: Expected;
}

export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('project root not found');
    dir = up;
  }
  return dir;
}

export const FIXTURE_DIR = () => path.join(projectRoot(), 'test', 'fixtures', 'analysis');
export const FIXTURE_LANGUAGES = ['de', 'en', 'fr', 'it'] as const;

export function loadSignals(): UserSignals & { userAddresses: string[] } {
  const raw = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR(), 'signals.json'), 'utf8')) as UserSignals & { userAddresses: string[] };
  return { userAddresses: raw.userAddresses, vipPatterns: raw.vipPatterns, ownDomains: raw.ownDomains, trustedSenders: raw.trustedSenders };
}

function parseAddress(s: string, me: string): MailAddress {
  if (s === 'me') return { name: 'Lena Brunner', address: me };
  const m = /^(.*)<([^>]+)>$/.exec(s);
  return m ? { name: m[1]!.trim() || null, address: m[2]!.trim() } : { name: null, address: s };
}

/** "+01:00" at the end of an ISO date → 60. */
function offsetOf(iso: string): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(iso);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

export function caseFromLine(line: FixtureLine, userAddresses: string[]): LabelledCase {
  const me = userAddresses[0]!;
  return {
    id: line.id,
    expected: line.expected,
    input: {
      subject: line.subject,
      from: line.from,
      to: line.to.map((a) => parseAddress(a, me)),
      cc: line.cc.map((a) => parseAddress(a, me)),
      hasBcc: line.bcc,
      userAddresses,
      date: Date.parse(line.date),
      timeZoneOffsetMinutes: offsetOf(line.date),
      text: line.text,
      headers: line.headers,
      hasAttachments: line.attachments,
      calendarMethod: line.calendar,
      thread: { isReply: line.thread.isReply, userRepliedToSender: line.thread.userReplied, earlierCorrespondence: line.thread.earlier },
    },
  };
}

function loadFile(name: string, userAddresses: string[]): LabelledCase[] {
  return fs
    .readFileSync(path.join(FIXTURE_DIR(), name), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => caseFromLine(JSON.parse(l) as FixtureLine, userAddresses));
}

/** The development set: test/fixtures/analysis/{de,en,fr,it}.jsonl (the rules were tuned on it). */
export function loadHandLabelled(languages: readonly string[] = FIXTURE_LANGUAGES): LabelledCase[] {
  const { userAddresses } = loadSignals();
  return languages.flatMap((lang) => loadFile(`${lang}.jsonl`, userAddresses));
}

/** The held-out set: test/fixtures/analysis/holdout.jsonl, written after tuning and never tuned on. */
export function loadHoldout(): LabelledCase[] {
  return loadFile('holdout.jsonl', loadSignals().userAddresses);
}
