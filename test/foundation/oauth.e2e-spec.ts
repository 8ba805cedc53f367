import { detachedKeyPair } from '../../src/auth/detached-key-pair';
import { createHmac, KeyObject, randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { ServerKeys } from '../../src/auth/server-keys';
import { CLIENT_ASSERTION_TYPE } from '../../src/auth/token.service';
import { defaultSuppliers, startTestApp, TestApp, TestSupplier, testSupplier } from '../support/test-app';
import { expectOutcome } from './support/outcome';
import { PROBE, ProbeController } from './support/probe.controller';

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A JWT put together by hand, for the algorithms a library would (rightly) refuse to produce. */
function handMadeJwt(header: Record<string, unknown>, claims: Record<string, unknown>, sign: (input: string) => string) {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign(input)}`;
}

describe('OAuth 2.0 client credentials with signed JWT assertions (docs/api.md §4)', () => {
  let t: TestApp;
  let tokenUrl: string;
  let all: TestSupplier;
  beforeAll(async () => {
    t = await startTestApp({
      controllers: [ProbeController],
      suppliers: [...defaultSuppliers(), testSupplier('LIMITED', ['*.R'], { rateLimitPerSecond: 2 })],
    });
    tokenUrl = `${t.config.publicBaseUrl}/oauth2/token`;
    all = t.suppliers.find((s) => s.name === 'ALL')!;
  });
  afterAll(() => t?.close());

  interface AssertionOptions {
    alg?: 'RS512' | 'RS256' | 'ES256';
    kid?: string;
    key?: KeyObject;
    iss?: string;
    sub?: string;
    aud?: string;
    exp?: number;
    jti?: string | null;
  }

  /** A client assertion for supplier s, correct unless an option says otherwise. */
  function assertion(s: TestSupplier, o: AssertionOptions = {}): Promise<string> {
    const pair = s.keys.find((k) => k.alg === (o.alg ?? 'RS512')) ?? s.keys[0];
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: o.alg ?? pair.alg, kid: o.kid ?? pair.kid, typ: 'JWT' })
      .setIssuer(o.iss ?? s.clientId)
      .setSubject(o.sub ?? s.clientId)
      .setAudience(o.aud ?? tokenUrl)
      .setIssuedAt()
      .setExpirationTime(o.exp ?? now() + 300);
    if (o.jti !== null) jwt.setJti(o.jti ?? randomUUID());
    return jwt.sign(o.key ?? pair.privateKey);
  }

  const exchange = (fields: Record<string, string>) =>
    t.http.post('/oauth2/token').type('form').send(new URLSearchParams(fields).toString());
  const grant = (clientAssertion: string) =>
    exchange({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion });

  async function expectRefused(clientAssertion: string, why: RegExp) {
    const res = await grant(clientAssertion);
    const body = expectOutcome(res, 401, 'login', 'UNAUTHORIZED');
    expect(body.issue[0].diagnostics).toMatch(why);
    expect(res.text).not.toContain('access_token');
  }

  describe('a good assertion', () => {
    it.each(['RS512', 'ES256'] as const)('signed %s gets an access token that opens a protected route', async (alg) => {
      const res = await grant(await assertion(all, { alg }));
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 599 });
      const me = await t.http.get(`${PROBE}/whoami`).set('Authorization', `Bearer ${res.body.access_token}`);
      expect(me.status).toBe(200);
      expect(JSON.parse(me.text)).toMatchObject({ supplier: 'ALL', clientId: all.clientId });
    });

    it('yields a token that verifies against the published JWKS, with our issuer and audience', async () => {
      const { body } = await grant(await assertion(all));
      const jwks = await t.http.get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys).toHaveLength(1);
      expect(jwks.body.keys[0]).not.toHaveProperty('d');
      const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks.body), {
        issuer: t.config.publicBaseUrl,
        audience: t.config.publicBaseUrl,
      });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload).toMatchObject({ client_id: all.clientId, sub: all.clientId });
      expect((payload.exp as number) - (payload.iat as number)).toBe(599);
    });
  });

  describe('bad assertions are refused with 401', () => {
    it('wrong aud', async () => expectRefused(await assertion(all, { aud: `${t.config.publicBaseUrl}/somewhere-else` }), /aud/));
    it('expired', async () => expectRefused(await assertion(all, { exp: now() - 120 }), /expired/));
    it('exp more than 5 minutes ahead', async () => expectRefused(await assertion(all, { exp: now() + 600 }), /5 minutes/));
    it('no jti', async () => expectRefused(await assertion(all, { jti: null }), /jti/));
    it('replayed jti', async () => {
      const once = await assertion(all);
      expect((await grant(once)).status).toBe(200);
      await expectRefused(once, /jti has been used/);
      // The same jti in a freshly signed assertion is a replay too.
      const jti = randomUUID();
      expect((await grant(await assertion(all, { jti }))).status).toBe(200);
      await expectRefused(await assertion(all, { jti }), /jti has been used/);
    });
    it('unknown kid', async () => expectRefused(await assertion(all, { kid: 'not-registered' }), /kid/));
    it("signed with another client's key (under that key's kid)", async () => {
      const other = t.suppliers.find((s) => s.name === 'READER')!;
      await expectRefused(await assertion(all, { kid: other.keys[0].kid, key: other.keys[0].privateKey }), /kid/);
    });
    it('signed with an unregistered key under a registered kid', async () => {
      const stranger = detachedKeyPair('rsa').privateKey;
      await expectRefused(await assertion(all, { key: stranger }), /signature/);
    });
    it('alg none', async () => {
      const jwt = handMadeJwt(
        { alg: 'none', kid: all.keys[0].kid },
        { iss: all.clientId, sub: all.clientId, aud: tokenUrl, jti: randomUUID(), exp: now() + 60 },
        () => '',
      );
      await expectRefused(jwt, /alg/);
    });
    it('HS256 with the public key PEM as the HMAC secret', async () => {
      const pem = all.keys[0].publicKey.export({ type: 'spki', format: 'pem' });
      const jwt = handMadeJwt(
        { alg: 'HS256', kid: all.keys[0].kid, typ: 'JWT' },
        { iss: all.clientId, sub: all.clientId, aud: tokenUrl, jti: randomUUID(), exp: now() + 60 },
        (input) => createHmac('sha256', pem).update(input).digest('base64url'),
      );
      await expectRefused(jwt, /alg/);
    });
    it('iss different from sub', async () => {
      const reader = t.suppliers.find((s) => s.name === 'READER')!;
      await expectRefused(await assertion(all, { sub: reader.clientId }), /iss and sub/);
    });
    it('unknown client', async () => expectRefused(await assertion(all, { iss: 'nobody-client', sub: 'nobody-client' }), /unknown client/));
  });

  describe('malformed token requests are refused with 400 invalid', () => {
    it.each([
      ['no fields at all', {}],
      ['no grant_type', { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'x.y.z' }],
      ['grant_type password', { grant_type: 'password', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'x.y.z' }],
      ['no client_assertion_type', { grant_type: 'client_credentials', client_assertion: 'x.y.z' }],
      [
        'a wrong client_assertion_type',
        { grant_type: 'client_credentials', client_assertion_type: 'urn:other', client_assertion: 'x.y.z' },
      ],
      ['no client_assertion', { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE }],
      [
        'a client_assertion that is not a JWT',
        { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'hello' },
      ],
    ])('%s', async (_why, fields) => {
      expectOutcome(await exchange(fields as Record<string, string>), 400, 'invalid', 'INVALID');
    });

    it('a repeated field', async () => {
      const a = await assertion(all);
      const res = await t.http
        .post('/oauth2/token')
        .type('form')
        .send(
          `grant_type=client_credentials&grant_type=client_credentials&client_assertion_type=${encodeURIComponent(CLIENT_ASSERTION_TYPE)}&client_assertion=${a}`,
        );
      expectOutcome(res, 400, 'invalid', 'INVALID');
    });

    it('a JSON body instead of a form: 415', async () => {
      const res = await t.http
        .post('/oauth2/token')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ grant_type: 'client_credentials' }));
      expectOutcome(res, 415, 'not-supported', 'NOT-SUPPORTED');
    });
  });

  describe('bearer tokens on protected routes', () => {
    const whoami = (authorization?: string) => {
      const req = t.http.get(`${PROBE}/whoami`);
      return authorization === undefined ? req : req.set('Authorization', authorization);
    };
    const serverKey = () => t.app.get(ServerKeys);
    const accessToken = (claims: Record<string, unknown>, opts: { key?: KeyObject; kid?: string; exp?: number; iat?: number } = {}) =>
      new SignJWT({ client_id: all.clientId, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? serverKey().kid })
        .setIssuedAt(opts.iat ?? now())
        .setExpirationTime(opts.exp ?? now() + 300)
        .sign(opts.key ?? serverKey().privateKey);

    async function expect401(authorization: string | undefined, diagnostics?: RegExp) {
      const res = await whoami(authorization);
      const body = expectOutcome(res, 401, 'login', 'UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toBe('Bearer');
      if (diagnostics) expect(body.issue[0].diagnostics).toMatch(diagnostics);
    }

    it('a token minted here opens the route (control)', async () => {
      const token = await accessToken({ iss: t.config.publicBaseUrl, aud: t.config.publicBaseUrl });
      expect((await whoami(`Bearer ${token}`)).status).toBe(200);
    });

    it('no Authorization header', () => expect401(undefined, /Bearer access token is required/));
    it('a malformed token', () => expect401('Bearer not.a.jwt'));
    it('another scheme', async () => expect401(`Basic ${Buffer.from('a:b').toString('base64')}`));
    it('an expired token', async () => {
      const token = await accessToken(
        { iss: t.config.publicBaseUrl, aud: t.config.publicBaseUrl },
        { iat: now() - 1200, exp: now() - 600 },
      );
      await expect401(`Bearer ${token}`, /expired/);
    });
    it('a token signed by another key under our kid', async () => {
      const stranger = detachedKeyPair('rsa').privateKey;
      await expect401(`Bearer ${await accessToken({ iss: t.config.publicBaseUrl, aud: t.config.publicBaseUrl }, { key: stranger })}`);
    });
    it('a token from another issuer, even when signed with our key', async () => {
      await expect401(`Bearer ${await accessToken({ iss: 'https://idp.elsewhere.example', aud: t.config.publicBaseUrl })}`);
      const stranger = detachedKeyPair('rsa').privateKey;
      await expect401(
        `Bearer ${await accessToken({ iss: 'https://idp.elsewhere.example', aud: t.config.publicBaseUrl }, { key: stranger, kid: 'x' })}`,
      );
    });
    it('a token for another audience', async () => {
      await expect401(`Bearer ${await accessToken({ iss: t.config.publicBaseUrl, aud: 'https://other-api.example' })}`);
    });
    it('a token for a client that is not registered', async () => {
      await expect401(
        `Bearer ${await accessToken({ iss: t.config.publicBaseUrl, aud: t.config.publicBaseUrl, client_id: 'nobody-client' })}`,
      );
    });
    it('alg none', async () => {
      const jwt = handMadeJwt(
        { alg: 'none', kid: serverKey().kid },
        { iss: t.config.publicBaseUrl, aud: t.config.publicBaseUrl, client_id: all.clientId, exp: now() + 300 },
        () => '',
      );
      await expect401(`Bearer ${jwt}`);
    });
    it('HS256 with our public key PEM as the HMAC secret', async () => {
      const pem = serverKey().publicKey.export({ type: 'spki', format: 'pem' });
      const jwt = handMadeJwt(
        { alg: 'HS256', kid: serverKey().kid, typ: 'JWT' },
        { iss: t.config.publicBaseUrl, aud: t.config.publicBaseUrl, client_id: all.clientId, iat: now(), exp: now() + 300 },
        (input) => createHmac('sha256', pem).update(input).digest('base64url'),
      );
      await expect401(`Bearer ${jwt}`);
    });
  });

  describe('rate limit', () => {
    it('answers 429 throttled with Retry-After once a supplier exceeds rateLimitPerSecond', async () => {
      const token = await t.tokenFor('LIMITED');
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.http.get(`${PROBE}/whoami`).set('Authorization', `Bearer ${token}`)),
      );
      const ok = results.filter((r) => r.status === 200).length;
      // A burst of one second's worth (2), plus whatever refills (2/s) while the burst is served.
      expect(ok).toBeGreaterThanOrEqual(2);
      expect(ok).toBeLessThanOrEqual(4);
      const throttled = results.filter((r) => r.status === 429);
      expect(throttled.length).toBe(10 - ok);
      for (const r of throttled) {
        expectOutcome(r, 429, 'throttled', 'TOO-MANY-REQUESTS');
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      // Another supplier is not affected.
      expect((await t.http.get(`${PROBE}/whoami`).set('Authorization', `Bearer ${await t.tokenFor('ALL')}`)).status).toBe(200);
    });
  });
});
