import { BlockList, isIP } from 'node:net';

/** An address a host name resolved to (or an IP literal), with its family. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

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

/** A BlockList holding one CIDR range. */
export function subnet(net: string, prefix: number, family: 'ipv4' | 'ipv6'): BlockList {
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
