import { EndpointPolicy, EndpointRefused, normaliseAddress, ResolvedAddress } from './endpoint-policy';

const dns = (answers: Record<string, string[]>) => async (host: string): Promise<ResolvedAddress[]> => {
  const a = answers[host];
  if (!a) throw new Error('ENOTFOUND');
  return a.map((address) => normaliseAddress(address));
};

describe('EndpointPolicy', () => {
  it('with an empty allow-list, takes public addresses and refuses loopback, private, link-local and mapped ones', async () => {
    const p = new EndpointPolicy([], dns({ 'hooks.example.org': ['93.184.216.34'], 'sneaky.example.org': ['93.184.216.34', '10.1.2.3'] }));
    await expect(p.check('https://hooks.example.org/x')).resolves.toMatchObject({ addresses: [{ address: '93.184.216.34', family: 4 }] });
    for (const bad of ['http://127.0.0.1/', 'http://10.0.0.1/', 'http://172.16.5.5/', 'http://192.168.1.1/', 'http://169.254.169.254/', 'http://[::1]/', 'http://[fe80::1]/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'http://100.64.1.1/']) {
      await expect(p.check(bad)).rejects.toThrow('loopback, private or link-local');
    }
    // Every address a name resolves to must pass, not just the first.
    await expect(p.check('https://sneaky.example.org/')).rejects.toThrow('10.1.2.3');
    await expect(p.check('https://nowhere.example.org/')).rejects.toThrow('cannot be resolved');
  });

  it('with entries, needs a listed origin or host, or every address inside a listed CIDR', async () => {
    const p = new EndpointPolicy(['https://hooks.example.org', 'partner.example.net', '127.0.0.1', '10.20.0.0/16'], dns({
      'hooks.example.org': ['93.184.216.34'],
      'partner.example.net': ['93.184.216.35'],
      'other.example.com': ['93.184.216.36'],
      'inside.example.com': ['10.20.1.1'],
      'localhost': ['127.0.0.1', '::1'],
    }));
    await expect(p.check('https://hooks.example.org/x')).resolves.toBeDefined();
    await expect(p.check('http://hooks.example.org/x')).rejects.toThrow('not allowed'); // origin = scheme + host + port
    await expect(p.check('http://partner.example.net:8443/x')).resolves.toBeDefined();
    await expect(p.check('https://other.example.com/')).rejects.toThrow('not allowed');
    await expect(p.check('http://127.0.0.1:9999/')).resolves.toBeDefined();
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
});
