import dns from 'node:dns/promises';
import net from 'node:net';
import { ImapConnectError } from './errors.js';

/**
 * Refuses mail-server addresses inside private networks, so the connection test and the sync cannot
 * be used to probe the network the server runs in. The check runs on the resolved address, and the
 * caller connects to exactly that address (never re-resolving the name), so a DNS answer that changes
 * between check and connect (rebinding) cannot slip through.
 */

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'unique-local' | 'cgnat' | 'multicast' | 'unspecified' | 'reserved';

function ipv4Parts(ip: string): number[] {
  return ip.split('.').map(Number);
}

function classifyIpv4(ip: string): AddressKind {
  const [a = 0, b = 0] = ipv4Parts(ip);
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if (a >= 224 && a <= 239) return 'multicast';
  // 192.0.0.0/24 (protocol assignments), 198.18.0.0/15 (benchmarking), 240.0.0.0/4 and broadcast.
  if ((a === 192 && b === 0 && ipv4Parts(ip)[2] === 0) || (a === 198 && (b === 18 || b === 19)) || a >= 240) return 'reserved';
  return 'public';
}

/** Expands an IPv6 address to its eight 16-bit groups. */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0]!;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Parts(v4[1]!);
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g || '0', 16));
}

function classifyIpv6(ip: string): AddressKind {
  const g = ipv6Groups(ip);
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and the NAT64 well-known prefix carry an IPv4 address: judge that one.
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (mapped || nat64) return classifyIpv4(`${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`);
  const first = g[0]!;
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'unique-local';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  // Site-local (deprecated) and documentation prefixes are never mail servers.
  if ((first & 0xffc0) === 0xfec0 || (first === 0x2001 && g[1] === 0x0db8)) return 'reserved';
  return 'public';
}

/** What kind of network an IP address belongs to; throws for text that is not an IP address. */
export function classifyAddress(ip: string): AddressKind {
  const family = net.isIP(ip);
  if (family === 4) return classifyIpv4(ip);
  if (family === 6) return classifyIpv6(ip);
  throw new Error('not an IP address');
}

export interface ResolvedHost {
  /** The name the user gave (used for SNI and certificate checks). */
  host: string;
  /** The checked address to connect to. */
  address: string;
  kind: AddressKind;
}

export interface GuardPolicy {
  allowPrivate: boolean;
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * Resolves `host` and returns one address the policy allows, IPv4 first. Every refusal names the
 * kind of address, never which of several answers it was, so the reply cannot map a network.
 */
export async function resolveMailHost(host: string, policy: GuardPolicy, lookup: Lookup = systemLookup): Promise<ResolvedHost> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  let answers: { address: string; family: number }[];
  if (net.isIP(bare)) {
    answers = [{ address: bare, family: net.isIP(bare) }];
  } else {
    try {
      answers = await lookup(bare);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ImapConnectError('dns', code === 'EAI_AGAIN' ? 'The mail server name could not be resolved right now (DNS did not answer)' : 'The mail server name does not exist (DNS)');
    }
    if (answers.length === 0) throw new ImapConnectError('dns', 'The mail server name has no address (DNS)');
  }
  const sorted = [...answers].sort((a, b) => a.family - b.family);
  const classified = sorted.map((a) => ({ address: a.address, kind: classifyAddress(a.address) }));
  const usable = classified.find((a) => a.kind === 'public' || policy.allowPrivate);
  if (!usable) {
    const kind = classified[0]!.kind;
    throw new ImapConnectError(
      'blocked',
      `The mail server address is a ${kind} address; connections into private networks are refused (an administrator can allow them with ALLOW_PRIVATE_MAIL_HOSTS)`,
    );
  }
  return { host: bare, address: usable.address, kind: usable.kind };
}
