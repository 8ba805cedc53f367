import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { normaliseAddress, ResolvedAddress, specialPurpose, subnet } from './special-addresses';

/** An endpoint the policy refused; the message says why (it goes back to the client as a 400). */
export class EndpointRefused extends Error {}

/** An endpoint that passed the policy, with the addresses it was checked at: connect to these only. */
export interface CheckedEndpoint {
  url: URL;
  addresses: ResolvedAddress[];
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

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
