/**
 * Which addresses Tollgate may call: the fence around target URLs (health probes and push
 * delivery). Pure decisions over a URL, a host name and a resolved address; the API applies them
 * when a target is registered (after DNS resolution) and the worker's HTTP client applies them
 * again when it connects, since DNS can answer differently by then.
 *
 * Refused always: link-local (cloud metadata services live there), the metadata host names and
 * the few metadata addresses outside link-local, unspecified, broadcast and multicast addresses, and the IPv4-mapped / NAT64 / 6to4 forms of all of these. Loopback and private
 * ranges are allowed by default because local fleets and private networks need them; an operator
 * narrows everything further with an allow-list (`TOLLGATE_TARGET_ALLOW`).
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface OutboundPolicy {
  /** Empty: any address that is not refused. Otherwise an address must be in one of these… */
  allowCidrs: [Address, number][];
  /** …or its URL's host must match one of these (`name.example.com` or `*.example.com`). */
  allowHosts: string[];
}

export const OPEN_POLICY: OutboundPolicy = { allowCidrs: [], allowHosts: [] };

export type OutboundVerdict = { ok: true } | { ok: false; reason: string };
const OK: OutboundVerdict = { ok: true };

/** Names that reach cloud metadata services whatever they resolve to. */
export const METADATA_HOSTS: readonly string[] = [
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
];

/** Metadata endpoints outside link-local: AWS over IPv6, Alibaba Cloud, Azure's wire server. */
const METADATA_ADDRESSES: readonly string[] = ['fd00:ec2::254', '100.100.100.200', '168.63.129.16'];

const REFUSED_V4_RANGES = new Map<string, string>([
  ['unspecified', 'unspecified (0.0.0.0/8)'],
  ['broadcast', 'broadcast'],
  ['multicast', 'multicast'],
  ['linkLocal', 'link-local (169.254.0.0/16, where cloud metadata services answer)'],
]);
const REFUSED_V6_RANGES = new Map<string, string>([
  ['unspecified', 'unspecified (::)'],
  ['multicast', 'multicast'],
  ['linkLocal', 'link-local (fe80::/10)'],
]);

const HOST_PATTERN = /^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;

/** `TOLLGATE_TARGET_ALLOW`: comma-separated CIDRs, addresses and host patterns. Throws naming a bad entry. */
export function parseAllowList(raw: string): OutboundPolicy {
  const policy: OutboundPolicy = { allowCidrs: [], allowHosts: [] };
  for (const entry of raw
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '')) {
    if (entry.includes('/')) {
      try {
        policy.allowCidrs.push(ipaddr.parseCIDR(entry));
      } catch {
        throw new Error(`"${entry}" is not a CIDR range like 10.0.0.0/8 or fd00::/8`);
      }
    } else if (ipaddr.isValid(entry)) {
      const address = ipaddr.parse(entry);
      policy.allowCidrs.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (HOST_PATTERN.test(entry)) {
      policy.allowHosts.push(entry);
    } else {
      throw new Error(`"${entry}" is neither a CIDR range, an address nor a host pattern like *.example.com`);
    }
  }
  return policy;
}

function isOpen(policy: OutboundPolicy): boolean {
  return policy.allowCidrs.length === 0 && policy.allowHosts.length === 0;
}

/** Dotted-quad IPv4 or IPv6 only: ipaddr.js also reads forms like `0x7f.1`, which are host names here. */
export function isIpLiteral(host: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(host) || ipaddr.IPv6.isValid(host);
}

/** Lower case, no trailing dot, no IPv6 brackets: the form the checks compare. */
export function normalizeHost(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function hostMatches(host: string, pattern: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
}

/** True when the operator's allow-list admits the host by name (its addresses are still checked against the refused ranges). */
export function allowedByName(host: string, policy: OutboundPolicy): boolean {
  const h = normalizeHost(host);
  return policy.allowHosts.some((p) => hostMatches(h, p));
}

/** The scheme and host of a target URL, before anything is resolved. */
export function urlVerdict(url: string, policy: OutboundPolicy): OutboundVerdict {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, reason: 'only http and https URLs are called' };
  if (parsed.username || parsed.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  const host = normalizeHost(parsed.hostname);
  if (METADATA_HOSTS.includes(host)) return { ok: false, reason: `${host} is a cloud metadata host` };
  if (isIpLiteral(host)) return addressVerdict(host, policy, false);
  return OK;
}

/** The IPv4 address an IPv6 one carries (mapped, NAT64 or 6to4), if any. */
function embeddedV4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  const range = address.range();
  const bytes = address.toByteArray();
  if (range === 'rfc6052') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  // IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks).
  if (bytes.slice(0, 12).every((b) => b === 0) && !bytes.slice(12, 14).every((b) => b === 0)) return new ipaddr.IPv4(bytes.slice(12, 16));
  return null;
}

function refusedRange(address: Address): string | null {
  if (METADATA_ADDRESSES.some((m) => ipaddr.parse(m).toNormalizedString() === address.toNormalizedString())) {
    return 'a cloud metadata address';
  }
  if (address.kind() === 'ipv4') return REFUSED_V4_RANGES.get(address.range()) ?? null;
  const v6 = address as ipaddr.IPv6;
  const inner = embeddedV4(v6);
  if (inner) {
    const why = refusedRange(inner);
    return why ? `${why}, in IPv6 form` : null;
  }
  return REFUSED_V6_RANGES.get(v6.range()) ?? null;
}

/**
 * A resolved (or literal) address: refused ranges first, then the operator's allow-list unless
 * the host name was already admitted by it.
 */
export function addressVerdict(ip: string, policy: OutboundPolicy, nameAllowed: boolean): OutboundVerdict {
  if (!isIpLiteral(ip)) return { ok: false, reason: `${ip} is not an IP address` };
  const address = ipaddr.parse(ip);
  const why = refusedRange(address);
  if (why) return { ok: false, reason: `${ip} is ${why}` };
  if (nameAllowed || isOpen(policy)) return OK;
  const comparable =
    address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
  const inList = policy.allowCidrs.some(([net, bits]) => net.kind() === comparable.kind() && comparable.match(net, bits));
  return inList ? OK : { ok: false, reason: `${ip} is not in TOLLGATE_TARGET_ALLOW` };
}
