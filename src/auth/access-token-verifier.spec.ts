import type { Request } from 'express';
import { SignJWT } from 'jose';
import { loadConfig, PROJECT_ROOT } from '../config/app-config';
import { AccessTokenVerifier } from './access-token-verifier';
import { ServerKeys } from './server-keys';
import { SupplierRegistry } from './supplier-registry';

/** The per-token cache of verified access tokens: a hit must never outlive the token or accept a different one. */
describe('AccessTokenVerifier cache', () => {
  const config = loadConfig({ DATA_DIR: 'memory://', PUBLIC_BASE_URL: 'http://localhost:3000' });
  let keys: ServerKeys;
  let verifier: AccessTokenVerifier;
  const req = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as Request;
  const sign = (ttl: number, clientId = 'emis-app') =>
    new SignJWT({ client_id: clientId })
      .setProtectedHeader({ alg: 'RS256', kid: keys.kid })
      .setIssuer(config.publicBaseUrl)
      .setAudience(config.publicBaseUrl)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(keys.privateKey);

  beforeAll(async () => {
    keys = await ServerKeys.load(config);
    verifier = new AccessTokenVerifier(config, keys, SupplierRegistry.fromFile(`${PROJECT_ROOT}/config/suppliers.json`));
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers a token it verified before with the same principal', async () => {
    const token = await sign(300);
    const first = await verifier.verify(req(token));
    expect(first).toMatchObject({ clientId: 'emis-app', supplier: { name: 'EMIS' } });
    expect(Object.getOwnPropertySymbols(first)).toEqual([]);
    expect(await verifier.verify(req(token))).toBe(first);
  });

  it('does not take a tampered copy of a cached token for it', async () => {
    const token = await sign(300);
    await verifier.verify(req(token));
    const [h, p, s] = token.split('.');
    await expect(verifier.verify(req(`${h}.${p}.${s.slice(0, -2)}AA`))).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a cached token once it has expired (past the clock-skew grace)', async () => {
    const token = await sign(60);
    await verifier.verify(req(token));
    const later = Date.now() + 60_000 + 31_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    await expect(verifier.verify(req(token))).rejects.toMatchObject({ status: 401 });
  });
});
