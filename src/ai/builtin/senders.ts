import type { AnalysisInput, UserSignals } from '../types.js';

export interface SenderRelation {
  address: string;
  domain: string;
  isVip: boolean;
  isTrusted: boolean;
  /** The sender belongs to one of the user's own domains (a colleague). */
  isOwnDomain: boolean;
  /** The message was sent by the user. */
  isSelf: boolean;
  /** The user is in To (not only Cc or Bcc). */
  isDirect: boolean;
  isCcOnly: boolean;
  isBccOnly: boolean;
  recipientCount: number;
  /** Looks like a machine sender (no-reply, notifications, mailer-daemon). */
  isAutomatedAddress: boolean;
}

export function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

const compiled = new Map<string, RegExp>();

/**
 * Sender patterns: an address (`boss@firma.ch`), `*` wildcards (`*@firma.ch`, `*@*.firma.ch`,
 * `info*@*`), or a bare domain (`firma.ch`, which also covers its subdomains).
 */
export function matchesSenderPattern(address: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (!p) return false;
  const a = normaliseAddress(address);
  if (!p.includes('@')) {
    const d = domainOf(a);
    const bare = p.replace(/^\*\.?/, '');
    return d === bare || d.endsWith(`.${bare}`);
  }
  let re = compiled.get(p);
  if (!re) {
    re = new RegExp(`^${p.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^@]*')}$`);
    compiled.set(p, re);
  }
  return re.test(a);
}

export function matchesAny(address: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesSenderPattern(address, p));
}

const AUTOMATED = /^(?:no-?reply|do-?not-?reply|donotreply|notifications?|notify|mailer-daemon|postmaster|bounce[s]?|news|newsletter|billing|invoice|rechnung|factur|fattur|updates?|alerts?|system|auto|automat)[^@]*@/;

const FREEMAIL = new Set(
  ('gmail.com googlemail.com gmx.de gmx.ch gmx.net gmx.at web.de bluewin.ch hotmail.com hotmail.fr hotmail.it outlook.com live.com yahoo.com ' +
    'yahoo.fr yahoo.it yahoo.de icloud.com me.com libero.it orange.fr free.fr sunrise.ch hispeed.ch t-online.de proton.me protonmail.com ' +
    'protonmail.ch virgilio.it tiscali.it laposte.net wanadoo.fr aol.com')
    .split(' '),
);

/** Public mail providers: their domain says nothing about who the sender is. */
export function isFreemailDomain(domain: string): boolean {
  return FREEMAIL.has(domain.toLowerCase());
}

export function relationOf(input: AnalysisInput, signals: UserSignals): SenderRelation {
  const address = normaliseAddress(input.from.address);
  const domain = domainOf(address);
  const mine = new Set(input.userAddresses.map(normaliseAddress));
  const inTo = input.to.some((r) => mine.has(normaliseAddress(r.address)));
  const inCc = input.cc.some((r) => mine.has(normaliseAddress(r.address)));
  return {
    address,
    domain,
    isVip: matchesAny(address, signals.vipPatterns),
    isTrusted: matchesAny(address, signals.trustedSenders),
    isOwnDomain: signals.ownDomains.some((d) => matchesSenderPattern(address, d)),
    isSelf: mine.has(address),
    isDirect: inTo,
    isCcOnly: !inTo && inCc,
    isBccOnly: !inTo && !inCc && (input.hasBcc || mine.size > 0),
    recipientCount: input.to.length + input.cc.length,
    isAutomatedAddress: AUTOMATED.test(address),
  };
}
