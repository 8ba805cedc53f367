import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** An endpoint the policy refused; the message says why (it goes back to the client as a 400). */
export class EndpointRefused extends Error {}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** An endpoint that passed the policy, with the addresses it was checked at: connect to these only. */
export interface CheckedEndpoint {
  url: URL;
  addresses: ResolvedAddress[];
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * Special-purpose addresses (IANA IPv4 and IPv6 special-purpose registries, plus multicast and the
 * deprecated site-local range): never a public web server, so refused unless a listed CIDR covers them.
 * IPv4-mapped (::ffff:0:0/96), IPv4-compatible and NAT64 (64:ff9b::/96) addresses are judged as the
 * IPv4 address they carry (see normaliseAddress); 6to4 (2002::/16) and Teredo (2001::/32) are refused
 * outright: they tunnel to an IPv4 address through a relay, whatever that address is.
 */
export const SPECIAL_PURPOSE_V4: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, '"this network"'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // cloud metadata lives here
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation (TEST-NET-1)'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation (TEST-NET-2)'],
  ['203.0.113.0', 24, 'documentation (TEST-NET-3)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];
export const SPECIAL_PURPOSE_V6: readonly (readonly [string, number, string])[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible'],
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001::', 23, 'IETF protocol assignments (incl. Teredo)'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

// One list per range, checked only against addresses of its own family (BlockList would otherwise
// match every IPv4 address against ::ffff:0:0/96).
const SPECIAL = {
  ipv4: SPECIAL_PURPOSE_V4.map(([net, prefix, what]) => ({ what, list: subnet(net, prefix, 'ipv4') })),
  ipv6: SPECIAL_PURPOSE_V6.map(([net, prefix, what]) => ({ what, list: subnet(net, prefix, 'ipv6') })),
};

function subnet(net: string, prefix: number, family: 'ipv4' | 'ipv6'): BlockList {
  const b = new BlockList();
  b.addSubnet(net, prefix, family);
  return b;
}

/** The 8 16-bit groups of an IPv6 address. */
function groups6(address: string): number[] {
  let a = address.split('%')[0];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const o = v4[1].split('.').map(Number);
    a = a.slice(0, -v4[1].length) + `${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

/**
 * IPv4 addresses wearing IPv6 clothes (::ffff:a.b.c.d mapped, ::a.b.c.d compatible, 64:ff9b::/96
 * NAT64) are judged as the IPv4 address they reach, so ::ffff:127.0.0.1 is loopback.
 */
export function normaliseAddress(address: string): ResolvedAddress {
  if (isIP(address) === 4) return { address, family: 4 };
  const g = groups6(address);
  const embedded =
    (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || (g[5] === 0 && (g[6] !== 0 || g[7] > 1)))) ||
    (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0));
  if (embedded) return { address: [g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff].join('.'), family: 4 };
  return { address: address.split('%')[0], family: 6 };
}

/** The special-purpose range an address lies in (e.g. "loopback"), or null for a public address. */
export function specialPurpose(a: ResolvedAddress): string | null {
  const family = a.family === 4 ? 'ipv4' : 'ipv6';
  return SPECIAL[family].find((r) => r.list.check(a.address, family))?.what ?? null;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** `scheme://host:port` with the port always spelled out, lower-case host, IPv6 without brackets. */
function originKey(u: URL): string {
  return `${u.protocol}//${u.hostname.replace(/^\[|\]$/g, '').toLowerCase()}:${u.port || defaultPort(u.protocol)}`;
}

/** Ports an address, CIDR or host entry opens when it names none. */
export const DEFAULT_ENTRY_PORTS = [80, 443] as const;

/** Which ports an entry opens: a set, or every port (`:*`). */
type Ports = ReadonlySet<number> | 'any';

function portOf(u: URL): number {
  return Number(u.port || defaultPort(u.protocol));
}

function portsAllow(ports: Ports, port: number): boolean {
  return ports === 'any' || ports.has(port);
}

/**
 * SUBSCRIPTION_ENDPOINT_ALLOWLIST and the SSRF rules for rest-hook endpoints.
 *
 * The list holds origins (`https://hooks.example.org`, `http://127.0.0.1:8080`: exactly that scheme,
 * host and port), and host names, IP addresses or CIDRs with an optional port
 * (`hooks.example.org`, `hooks.example.org:8443`, `127.0.0.1:9000`, `10.20.0.0/16:*`,
 * `[fd00::/8]:8443`, `fd00::/8`). A host, address or CIDR entry without a port opens ports 80 and
 * 443 only; `:*` opens every port (so a CIDR cannot silently expose an internal Redis or database).
 * - When the list is not empty, an endpoint must match an origin or host entry, or every address
 *   it resolves to must lie in a listed CIDR whose ports include the endpoint's port.
 * - Whatever the list says about origins, every address the host resolves to must be public (no
 *   IANA special-purpose range: loopback, private, link-local, documentation, 6to4, Teredo, ...),
 *   or be covered by a listed IP/CIDR entry for that port: naming an origin does not vouch for what
 *   its DNS says.
 * The check runs at creation and again before every delivery, and the delivery connects only to
 * the addresses that were checked, so a DNS answer that changes in between (rebinding) cannot
 * steer it to a different host.
 */
export class EndpointPolicy {
  private readonly origins = new Set<string>();
  private readonly hosts: { host: string; ports: Ports }[] = [];
  private readonly cidrs: { list: BlockList; ports: Ports }[] = [];

  constructor(
    readonly entries: string[],
    private readonly resolve: Resolver = systemResolver,
  ) {
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === '') continue;
      const bad = (why: string) => new Error(`SUBSCRIPTION_ENDPOINT_ALLOWLIST entry "${entry}" ${why}`);
      if (entry.includes('://')) {
        let u: URL;
        try {
          u = new URL(entry);
        } catch {
          throw bad('is not an origin');
        }
        this.origins.add(originKey(u));
        continue;
      }
      const { target, ports } = splitPort(entry, bad);
      const [addr, prefix, extra] = target.split('/');
      const family = isIP(addr);
      if (family !== 0 && extra === undefined) {
        const a = normaliseAddress(addr);
        const max = family === 4 ? 32 : 128;
        const bits = prefix === undefined ? max : Number(prefix);
        if (!/^\d{1,3}$/.test(prefix ?? String(max)) || bits > max) throw bad('has a bad prefix length');
        // A mapped IPv4 CIDR (::ffff:10.0.0.0/104) is kept as the IPv4 CIDR it means.
        const v4Bits = a.family === 4 && family === 6 ? Math.max(0, bits - 96) : bits;
        this.cidrs.push({ list: subnet(a.address, v4Bits, a.family === 4 ? 'ipv4' : 'ipv6'), ports });
        continue;
      }
      if (!HOSTNAME.test(target)) throw bad('is not an origin, host name, IP address or CIDR (with an optional :port or :*)');
      this.hosts.push({ host: target.toLowerCase(), ports });
    }
  }

  private listedAddress(a: ResolvedAddress, port: number): boolean {
    const family = a.family === 4 ? 'ipv4' : 'ipv6';
    return this.cidrs.some((c) => portsAllow(c.ports, port) && c.list.check(a.address, family));
  }

  /** Parses and checks an endpoint URL; throws EndpointRefused with the reason. */
  async check(endpoint: string): Promise<CheckedEndpoint> {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new EndpointRefused('channel.endpoint must be an absolute http(s) URL.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new EndpointRefused('channel.endpoint of a rest-hook must use http or https.');
    if (url.username || url.password)
      throw new EndpointRefused('channel.endpoint must not carry credentials; send them with channel.header.');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (host === '') throw new EndpointRefused('channel.endpoint has no host.');
    const port = portOf(url);

    let addresses: ResolvedAddress[];
    if (isIP(host) !== 0) addresses = [normaliseAddress(host)];
    else {
      try {
        addresses = (await this.resolve(host)).map((a) => normaliseAddress(a.address));
      } catch {
        throw new EndpointRefused(`channel.endpoint host ${host} cannot be resolved.`);
      }
      if (addresses.length === 0) throw new EndpointRefused(`channel.endpoint host ${host} cannot be resolved.`);
    }

    const listed = this.origins.size + this.hosts.length + this.cidrs.length > 0;
    if (listed) {
      const byName = this.origins.has(originKey(url)) || this.hosts.some((h) => h.host === host && portsAllow(h.ports, port));
      if (!byName && !addresses.every((a) => this.listedAddress(a, port))) {
        throw new EndpointRefused(`channel.endpoint ${url.origin} is not allowed by SUBSCRIPTION_ENDPOINT_ALLOWLIST.`);
      }
    }
    for (const a of addresses) {
      const what = specialPurpose(a);
      if (what !== null && !this.listedAddress(a, port)) {
        throw new EndpointRefused(
          `channel.endpoint ${url.origin} resolves to ${a.address}, a special-purpose address (${what}) that SUBSCRIPTION_ENDPOINT_ALLOWLIST does not list for port ${port}.`,
        );
      }
    }
    return { url, addresses };
  }
}

/** `target[:port|:*]`, IPv6 in brackets when a port follows (`[fd00::/8]:8443`). */
function splitPort(entry: string, bad: (why: string) => Error): { target: string; ports: Ports } {
  let target = entry;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  if (bracketed) [, target, port] = bracketed;
  else if ((entry.match(/:/g) ?? []).length === 1) [target, port] = entry.split(':');
  if (port === undefined) return { target, ports: new Set(DEFAULT_ENTRY_PORTS) };
  if (port === '*') return { target, ports: 'any' };
  const n = Number(port);
  if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) throw bad('has a bad port (use 1-65535 or *)');
  return { target, ports: new Set([n]) };
}
