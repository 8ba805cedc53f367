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

/** Addresses that are not on the public internet: refused unless a listed CIDR covers them. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
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

function isNonPublic(a: ResolvedAddress): boolean {
  return NON_PUBLIC.check(a.address, a.family === 4 ? 'ipv4' : 'ipv6');
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** `scheme://host:port` with the port always spelled out, lower-case host, IPv6 without brackets. */
function originKey(u: URL): string {
  return `${u.protocol}//${u.hostname.replace(/^\[|\]$/g, '').toLowerCase()}:${u.port || defaultPort(u.protocol)}`;
}

/**
 * SUBSCRIPTION_ENDPOINT_ALLOWLIST and the SSRF rules for rest-hook endpoints.
 *
 * The list holds origins (`https://hooks.example.org`, `http://127.0.0.1:8080`), bare host names
 * (`hooks.example.org`) and IP addresses or CIDRs (`127.0.0.1`, `10.20.0.0/16`, `fd00::/8`).
 * - When the list is not empty, an endpoint must match an origin or host entry, or every address
 *   it resolves to must lie in a listed CIDR.
 * - Whatever the list says about origins, every address the host resolves to must be public, or be
 *   covered by a listed IP/CIDR: loopback, private and link-local addresses are reachable only when
 *   an operator lists them as addresses (naming an origin does not vouch for what its DNS says).
 * The check runs at creation and again before every delivery, and the delivery connects only to
 * the addresses that were checked, so a DNS answer that changes in between (rebinding) cannot
 * steer it to a different host.
 */
export class EndpointPolicy {
  private readonly origins = new Set<string>();
  private readonly hosts = new Set<string>();
  private readonly cidrs = new BlockList();
  private hasCidrs = false;

  constructor(
    readonly entries: string[],
    private readonly resolve: Resolver = systemResolver,
  ) {
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === '') continue;
      if (entry.includes('://')) {
        let u: URL;
        try {
          u = new URL(entry);
        } catch {
          throw new Error(`SUBSCRIPTION_ENDPOINT_ALLOWLIST entry "${entry}" is not an origin`);
        }
        this.origins.add(originKey(u));
        continue;
      }
      const [addr, prefix, extra] = entry.split('/');
      const family = isIP(addr.replace(/^\[|\]$/g, ''));
      if (family !== 0 && extra === undefined) {
        const a = normaliseAddress(addr.replace(/^\[|\]$/g, ''));
        const max = a.family === 4 ? 32 : 128;
        const bits = prefix === undefined ? max : Number(prefix);
        if (!/^\d{1,3}$/.test(prefix ?? String(max)) || bits > max) throw new Error(`SUBSCRIPTION_ENDPOINT_ALLOWLIST entry "${entry}" has a bad prefix length`);
        this.cidrs.addSubnet(a.address, bits, a.family === 4 ? 'ipv4' : 'ipv6');
        this.hasCidrs = true;
        continue;
      }
      if (!HOSTNAME.test(entry)) throw new Error(`SUBSCRIPTION_ENDPOINT_ALLOWLIST entry "${entry}" is not an origin, host name, IP address or CIDR`);
      this.hosts.add(entry.toLowerCase());
    }
  }

  private listedAddress(a: ResolvedAddress): boolean {
    return this.hasCidrs && this.cidrs.check(a.address, a.family === 4 ? 'ipv4' : 'ipv6');
  }

  /** Parses and checks an endpoint URL; throws EndpointRefused with the reason. */
  async check(endpoint: string): Promise<CheckedEndpoint> {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new EndpointRefused('channel.endpoint must be an absolute http(s) URL.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EndpointRefused('channel.endpoint of a rest-hook must use http or https.');
    if (url.username || url.password) throw new EndpointRefused('channel.endpoint must not carry credentials; send them with channel.header.');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (host === '') throw new EndpointRefused('channel.endpoint has no host.');

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

    const listed = this.origins.size + this.hosts.size > 0 || this.hasCidrs;
    if (listed) {
      const byName = this.origins.has(originKey(url)) || this.hosts.has(host);
      if (!byName && !addresses.every((a) => this.listedAddress(a))) {
        throw new EndpointRefused(`channel.endpoint ${url.origin} is not allowed by SUBSCRIPTION_ENDPOINT_ALLOWLIST.`);
      }
    }
    const hidden = addresses.find((a) => isNonPublic(a) && !this.listedAddress(a));
    if (hidden) {
      throw new EndpointRefused(
        `channel.endpoint ${url.origin} resolves to ${hidden.address}, a loopback, private or link-local address that SUBSCRIPTION_ENDPOINT_ALLOWLIST does not list.`,
      );
    }
    return { url, addresses };
  }
}
