import { EndpointPolicy, EndpointRefused } from './endpoint-policy';
import { normaliseAddress, ResolvedAddress } from './special-addresses';

const dns =
  (answers: Record<string, string[]>) =>
  async (host: string): Promise<ResolvedAddress[]> => {
    const a = answers[host];
    if (!a) throw new Error('ENOTFOUND');
    return a.map((address) => normaliseAddress(address));
  };

describe('EndpointPolicy', () => {
  it('with an empty allow-list, takes public addresses and refuses loopback, private, link-local and mapped ones', async () => {
    const p = new EndpointPolicy([], dns({ 'hooks.example.org': ['93.184.216.34'], 'sneaky.example.org': ['93.184.216.34', '10.1.2.3'] }));
    await expect(p.check('https://hooks.example.org/x')).resolves.toMatchObject({ addresses: [{ address: '93.184.216.34', family: 4 }] });
    for (const bad of [
      'http://127.0.0.1/',
      'http://10.0.0.1/',
      'http://172.16.5.5/',
      'http://192.168.1.1/',
      'http://169.254.169.254/',
      'http://[::1]/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
      'http://100.64.1.1/',
    ]) {
      await expect(p.check(bad)).rejects.toThrow('special-purpose address');
    }
    // Every address a name resolves to must pass, not just the first.
    await expect(p.check('https://sneaky.example.org/')).rejects.toThrow('10.1.2.3');
    await expect(p.check('https://nowhere.example.org/')).rejects.toThrow('cannot be resolved');
  });

  it('with entries, needs a listed origin or host, or every address inside a listed CIDR', async () => {
    const p = new EndpointPolicy(
      ['https://hooks.example.org', 'partner.example.net:8443', '127.0.0.1:9999', '10.20.0.0/16'],
      dns({
        'hooks.example.org': ['93.184.216.34'],
        'partner.example.net': ['93.184.216.35'],
        'other.example.com': ['93.184.216.36'],
        'inside.example.com': ['10.20.1.1'],
        localhost: ['127.0.0.1', '::1'],
      }),
    );
    await expect(p.check('https://hooks.example.org/x')).resolves.toBeDefined();
    await expect(p.check('http://hooks.example.org/x')).rejects.toThrow('not allowed'); // origin = scheme + host + port
    await expect(p.check('http://partner.example.net:8443/x')).resolves.toBeDefined();
    await expect(p.check('https://other.example.com/')).rejects.toThrow('not allowed');
    await expect(p.check('http://127.0.0.1:9999/')).resolves.toBeDefined();
    await expect(p.check('http://127.0.0.1:9998/')).rejects.toThrow(EndpointRefused); // the entry names port 9999 only
    await expect(p.check('https://partner.example.net/')).rejects.toThrow('not allowed'); // 443 not named
    await expect(p.check('https://inside.example.com/')).resolves.toBeDefined();
    // localhost also answers ::1, which is not listed.
    await expect(p.check('http://localhost/')).rejects.toThrow(EndpointRefused);
  });

  it('does not let a listed name vouch for a private address (DNS rebinding)', async () => {
    let answer = '93.184.216.34';
    const p = new EndpointPolicy(['https://hooks.example.org'], async () => [normaliseAddress(answer)]);
    await expect(p.check('https://hooks.example.org/')).resolves.toBeDefined();
    answer = '169.254.169.254';
    await expect(p.check('https://hooks.example.org/')).rejects.toThrow('169.254.169.254');
  });

  it('refuses bad allow-list entries at start-up', () => {
    expect(() => new EndpointPolicy(['not a host!'])).toThrow('SUBSCRIPTION_ENDPOINT_ALLOWLIST');
    expect(() => new EndpointPolicy(['10.0.0.0/40'])).toThrow('prefix');
  });

  it('normalises IPv4 in IPv6 clothing', () => {
    expect(normaliseAddress('::ffff:7f00:1')).toEqual({ address: '127.0.0.1', family: 4 });
    expect(normaliseAddress('::ffff:10.0.0.1')).toEqual({ address: '10.0.0.1', family: 4 });
    expect(normaliseAddress('64:ff9b::a9fe:a9fe')).toEqual({ address: '169.254.169.254', family: 4 });
    expect(normaliseAddress('2001:db8::1')).toEqual({ address: '2001:db8::1', family: 6 });
    expect(normaliseAddress('::1')).toEqual({ address: '::1', family: 6 });
  });

  // Every IANA special-purpose range (and the deprecated site-local one), spelled as an endpoint.
  const special: [string, string][] = [
    ['http://0.1.2.3/', '"this network"'],
    ['http://10.255.0.1/', 'private'],
    ['http://100.127.255.254/', 'carrier-grade NAT'],
    ['http://127.8.8.8/', 'loopback'],
    ['http://169.254.169.254/', 'link-local'],
    ['http://172.31.0.1/', 'private'],
    ['http://192.0.0.8/', 'IETF protocol assignments'],
    ['http://192.0.2.1/', 'documentation (TEST-NET-1)'],
    ['http://192.88.99.1/', '6to4 relay anycast'],
    ['http://192.168.0.1/', 'private'],
    ['http://198.19.0.1/', 'benchmarking'],
    ['http://198.51.100.7/', 'documentation (TEST-NET-2)'],
    ['http://203.0.113.9/', 'documentation (TEST-NET-3)'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://239.255.255.250/', 'multicast'],
    ['http://240.0.0.1/', 'reserved or broadcast'],
    ['http://255.255.255.255/', 'reserved or broadcast'],
    ['http://[::]/', 'unspecified'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:a9fe:a9fe]/', 'link-local'],
    ['http://[::ffff:192.0.2.1]/', 'documentation (TEST-NET-1)'],
    ['http://[::127.0.0.1]/', 'loopback'],
    ['http://[64:ff9b::10.0.0.1]/', 'private'],
    ['http://[64:ff9b::7f00:1]/', 'loopback'],
    ['http://[64:ff9b:1::1]/', 'local-use NAT64'],
    ['http://[100::1]/', 'discard-only'],
    ['http://[2001::1]/', 'IETF protocol assignments (incl. Teredo)'],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'IETF protocol assignments (incl. Teredo)'],
    ['http://[2001:1ff::1]/', 'IETF protocol assignments (incl. Teredo)'],
    ['http://[2001:db8::1]/', 'documentation'],
    ['http://[2002:7f00:1::]/', '6to4'],
    ['http://[2002:5db8:d822::1]/', '6to4'],
    ['http://[3fff::1]/', 'documentation'],
    ['http://[fc00::1]/', 'unique local'],
    ['http://[fd12:3456::1]/', 'unique local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[febf::1]/', 'link-local'],
    ['http://[fec0::1]/', 'site-local (deprecated)'],
    ['http://[feff::1]/', 'site-local (deprecated)'],
    ['http://[ff02::1]/', 'multicast'],
  ];
  it.each(special)('with an empty allow-list, refuses %s (%s)', async (endpoint, what) => {
    const p = new EndpointPolicy([], dns({}));
    await expect(p.check(endpoint)).rejects.toThrow(`a special-purpose address (${what})`);
  });

  it.each(special)('refuses a host name that resolves to %s (%s)', async (endpoint) => {
    const address = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
    const p = new EndpointPolicy([], dns({ 'hooks.example.org': ['93.184.216.34', address] }));
    await expect(p.check('https://hooks.example.org/')).rejects.toThrow('special-purpose address');
  });

  const publicOnes = [
    'http://93.184.216.34/',
    'https://8.8.8.8/',
    'http://100.128.0.1/',
    'http://172.32.0.1/',
    'http://192.0.3.1/',
    'http://198.20.0.1/',
    'http://223.255.255.254/',
    'https://[2606:4700::1111]/',
    'https://[2a00:1450::1]/',
    'https://[2001:200::1]/',
    'https://[::ffff:8.8.8.8]/',
    'https://[64:ff9b::808:808]/',
  ];
  it.each(publicOnes)('with an empty allow-list, accepts the public address %s', async (endpoint) => {
    await expect(new EndpointPolicy([], dns({})).check(endpoint)).resolves.toBeDefined();
  });

  // Allow-list entries and the ports they open: [entry, endpoint, allowed].
  const ports: [string, string, boolean][] = [
    ['10.20.0.0/16', 'http://10.20.1.1/', true],
    ['10.20.0.0/16', 'https://10.20.1.1/', true],
    ['10.20.0.0/16', 'http://10.20.1.1:443/', true],
    ['10.20.0.0/16', 'http://10.20.1.1:6379/', false],
    ['10.20.0.0/16', 'http://10.20.1.1:5432/', false],
    ['10.20.0.0/16:8443', 'https://10.20.1.1:8443/', true],
    ['10.20.0.0/16:8443', 'https://10.20.1.1/', false],
    ['10.20.0.0/16:*', 'http://10.20.1.1:6379/', true],
    ['10.20.0.0/16:*', 'http://10.21.1.1:6379/', false],
    ['127.0.0.1', 'http://127.0.0.1/', true],
    ['127.0.0.1', 'http://127.0.0.1:9000/', false],
    ['127.0.0.1:9000', 'http://127.0.0.1:9000/', true],
    ['127.0.0.1:*', 'http://127.0.0.1:1/', true],
    ['127.0.0.1:*', 'http://[::ffff:127.0.0.1]:9000/', true],
    ['fd00::/8', 'https://[fd00::1]/', true],
    ['fd00::/8', 'https://[fd00::1]:8443/', false],
    ['[fd00::/8]:8443', 'https://[fd00::1]:8443/', true],
    ['[fd00::/8]:*', 'https://[fd00::1]:22/', true],
    ['[::1]:9000', 'http://[::1]:9000/', true],
    ['[::1]:9000', 'http://[::1]:9001/', false],
    ['::ffff:10.0.0.0/104', 'http://10.9.9.9/', true],
    ['::ffff:10.0.0.0/104', 'http://11.9.9.9/', false],
    ['public.example.org', 'https://public.example.org/', true],
    ['public.example.org', 'http://public.example.org:8080/', false],
    ['public.example.org:8080', 'http://public.example.org:8080/', true],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/', false], // an origin entry does not vouch for loopback
  ];
  it.each(ports)('allow-list %s: %s allowed=%s', async (entry, endpoint, allowed) => {
    const p = new EndpointPolicy([entry], dns({ 'public.example.org': ['93.184.216.34'] }));
    if (allowed) await expect(p.check(endpoint)).resolves.toBeDefined();
    else await expect(p.check(endpoint)).rejects.toThrow(EndpointRefused);
  });

  it.each(['10.0.0.0/8:0', '10.0.0.0/8:65536', '10.0.0.0/8:http', '[fd00::/8]:', 'fd00::/200', 'host.example:1:2'])(
    'refuses the bad entry %s',
    (entry) => {
      expect(() => new EndpointPolicy([entry])).toThrow('SUBSCRIPTION_ENDPOINT_ALLOWLIST');
    },
  );
});
