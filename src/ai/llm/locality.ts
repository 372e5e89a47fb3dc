import type { Locality } from './privacy-gate.js';

/** Host names that never leave the machine. */
function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\./.test(h)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The one place that decides whether a provider is local (mail text may be sent as it is) or cloud
 * (everything goes through the anonymiser first). Cloud unless the host is loopback; an admin may
 * mark any provider local (a server in the own network) or cloud (a tunnel on localhost) explicitly.
 * An unparsable URL is cloud.
 */
export function providerLocality(baseUrl: string, explicit: Locality | null): Locality {
  if (explicit) return explicit;
  try {
    return isLoopbackHost(new URL(baseUrl).hostname) ? 'local' : 'cloud';
  } catch {
    return 'cloud';
  }
}
