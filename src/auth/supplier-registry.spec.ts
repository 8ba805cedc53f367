import { detachedKeyPair } from './detached-key-pair';

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, PROJECT_ROOT } from '../config/app-config';
import { SupplierRegistry } from './supplier-registry';

const publicJwk = (kid: string) => ({ ...detachedKeyPair('ec').publicKey.export({ format: 'jwk' }), kid });

describe('SupplierRegistry', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'suppliers-spec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fromJson = (content: unknown) => {
    const file = join(dir, `s-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return SupplierRegistry.fromFile(file);
  };
  const supplier = (over: Record<string, unknown> = {}) => ({
    name: 'ACME',
    permissions: ['FLU.CRUDS'],
    clients: [{ clientId: 'acme-app', jwks: { keys: [publicJwk('k1')] } }],
    ...over,
  });

  it('loads the example suppliers shipped in config/', () => {
    const r = SupplierRegistry.fromFile(join(PROJECT_ROOT, 'config', 'suppliers.json'));
    expect(r.supplier('EMIS')?.permissions.allows('create', 'COVID')).toBe(true);
    expect(r.byClient('emis-app')?.name).toBe('EMIS');
    expect(r.all().length).toBeGreaterThan(1);
  });

  it('reads optional roles (patient-admin) and refuses unknown ones', () => {
    const r = fromJson({ suppliers: [supplier({ roles: ['patient-admin'] }), supplier({ name: 'PLAIN', clients: [] })] });
    expect(r.supplier('ACME')?.roles).toEqual(['patient-admin']);
    expect(r.supplier('PLAIN')?.roles).toEqual([]);
    expect(() => fromJson({ suppliers: [supplier({ roles: ['root'] })] })).toThrow(
      /suppliers\[0\]\.roles must be an array of patient-admin/,
    );
    expect(() => fromJson({ suppliers: [supplier({ roles: 'patient-admin' })] })).toThrow(ConfigError);
  });

  it('finds suppliers by name and by client id, with their rate limit', () => {
    const r = fromJson({
      suppliers: [supplier({ rateLimitPerSecond: 7 }), supplier({ name: 'OTHER', clients: [], rateLimitPerSecond: undefined })],
    });
    expect(r.byClient('acme-app')?.name).toBe('ACME');
    expect(r.client('acme-app')?.jwks.keys[0].kid).toBe('k1');
    expect(r.supplier('ACME')?.rateLimitPerSecond).toBe(7);
    expect(r.supplier('OTHER')?.rateLimitPerSecond).toBeNull();
    expect(r.byClient('nobody')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"suppliers": [', /cannot be read as JSON/],
    ['no suppliers array', { nope: [] }, /expected \{"suppliers"/],
    ['a supplier without a name', { suppliers: [supplier({ name: '' })] }, /suppliers\[0\]\.name/],
    ['a malformed permission', { suppliers: [supplier({ permissions: ['FLU'] })] }, /suppliers\[0\]\.permissions.*not a permission/],
    ['a bad rate limit', { suppliers: [supplier({ rateLimitPerSecond: 0 })] }, /rateLimitPerSecond/],
    ['a client id registered twice', { suppliers: [supplier(), supplier({ name: 'B' })] }, /acme-app is registered twice/],
    [
      'a key without kid',
      { suppliers: [supplier({ clients: [{ clientId: 'c', jwks: { keys: [{ ...publicJwk('x'), kid: undefined }] } }] })] },
      /needs a kid/,
    ],
    [
      'a private key',
      {
        suppliers: [
          supplier({
            clients: [
              {
                clientId: 'c',
                jwks: { keys: [{ ...detachedKeyPair('ec').privateKey.export({ format: 'jwk' }), kid: 'p' }] },
              },
            ],
          }),
        ],
      },
      /private key/,
    ],
    [
      'a key that is not a key',
      { suppliers: [supplier({ clients: [{ clientId: 'c', jwks: { keys: [{ kty: 'RSA', kid: 'bad', n: 'x' }] } }] })] },
      /not a usable public key/,
    ],
  ])('refuses %s with a ConfigError naming SUPPLIERS_FILE', (_what, content, why) => {
    let error: unknown;
    try {
      fromJson(content);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^SUPPLIERS_FILE /);
    expect((error as Error).message).toMatch(why);
  });
});
