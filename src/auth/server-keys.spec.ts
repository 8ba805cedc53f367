import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/app-config';
import { ServerKeys } from './server-keys';

describe('ServerKeys (the access-token signing key)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'server-keys-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a key under DATA_DIR on first start, private to the owner, and reuses it', async () => {
    const first = await ServerKeys.load({ authSigningKeyFile: null, dataDir: dir });
    const file = join(dir, 'auth', 'signing-key.pem');
    expect(readFileSync(file, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await ServerKeys.load({ authSigningKeyFile: null, dataDir: dir });
    expect(again.kid).toBe(first.kid);
  });

  it('publishes only the public half, with kid = RFC 7638 thumbprint, RS256, use sig', async () => {
    const k = await ServerKeys.load({ authSigningKeyFile: null, dataDir: 'memory://' });
    const [jwk] = k.jwks().keys;
    expect(jwk).toMatchObject({ kty: 'RSA', kid: k.kid, alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(jwk).not.toHaveProperty('d');
    expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('keeps a memory:// key in memory only: a new one each time', async () => {
    const a = await ServerKeys.load({ authSigningKeyFile: null, dataDir: 'memory://' });
    const b = await ServerKeys.load({ authSigningKeyFile: null, dataDir: 'memory://' });
    expect(a.kid).not.toBe(b.kid);
  });

  it('uses AUTH_SIGNING_KEY_FILE when set', async () => {
    const file = join(dir, 'key.pem');
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    writeFileSync(file, key.export({ type: 'pkcs8', format: 'pem' }));
    const a = await ServerKeys.load({ authSigningKeyFile: file, dataDir: 'memory://' });
    const b = await ServerKeys.load({ authSigningKeyFile: file, dataDir: dir });
    expect(a.kid).toBe(b.kid);
  });

  it.each([
    ['a missing file', () => join(dir, 'absent.pem'), /not a readable PEM private key/],
    [
      'a file that is not PEM',
      () => {
        const f = join(dir, 'x.pem');
        writeFileSync(f, 'hello');
        return f;
      },
      /not a readable PEM private key/,
    ],
    [
      'an EC key',
      () => {
        const f = join(dir, 'ec.pem');
        writeFileSync(f, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
        return f;
      },
      /must hold an RSA private key/,
    ],
  ])('refuses %s with a ConfigError naming AUTH_SIGNING_KEY_FILE', async (_what, file, why) => {
    const load = ServerKeys.load({ authSigningKeyFile: file(), dataDir: 'memory://' });
    await expect(load).rejects.toBeInstanceOf(ConfigError);
    await expect(ServerKeys.load({ authSigningKeyFile: file(), dataDir: 'memory://' })).rejects.toThrow(/^AUTH_SIGNING_KEY_FILE/);
    await expect(ServerKeys.load({ authSigningKeyFile: file(), dataDir: 'memory://' })).rejects.toThrow(why);
  });
});
