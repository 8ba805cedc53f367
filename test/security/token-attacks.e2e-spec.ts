import { detachedKeyPair } from '../../src/auth/detached-key-pair';
import { createHmac, KeyObject, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';
import { ServerKeys } from '../../src/auth/server-keys';
import { CLIENT_ASSERTION_TYPE } from '../../src/auth/token.service';
import { expectOutcome } from '../foundation/support/outcome';
import { BASE, immunization } from '../support/immunization-fixture';
import { fhirClient, idFromLocation } from '../support/fhir-client';
import { defaultSuppliers, startTestApp, TestApp, TestSupplier } from '../support/test-app';

/**
 * OWASP API2 (broken authentication): forged, stale, misdirected and oversized tokens, both as
 * client assertions at /oauth2/token and as bearer access tokens on a FHIR route. Every attack must
 * get a 4xx OperationOutcome and never a token or a record.
 */

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A JWT put together by hand, for what a library would (rightly) refuse to produce. */
function handMade(header: Record<string, unknown>, claims: Record<string, unknown>, sign: (input: string) => string = () => '') {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign(input)}`;
}
const hs256 = (secret: string | Buffer) => (input: string) => createHmac('sha256', secret).update(input).digest('base64url');

/** Swaps a signed token's payload for another, keeping header and signature. */
function tamper(token: string, change: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  return `${h}.${b64url(change(JSON.parse(Buffer.from(p, 'base64url').toString())))}.${s}`;
}

interface Signed {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  key: KeyObject;
}
function sign({ header, claims, key }: Signed): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

describe('token attacks (OWASP API2)', () => {
  let t: TestApp;
  let keys: ServerKeys;
  let all: TestSupplier;
  let flu: TestSupplier;
  let recordPath: string;
  let tokenUrl: string;
  const attacker = detachedKeyPair('rsa');
  const attackerEc = detachedKeyPair('ec');
  // A key server the attacker controls: jku/x5u must never make the service fetch from it.
  let trap: Server;
  let trapUrl: string;
  let trapHits = 0;
  const tally: Record<string, number> = {};
  const count = (what: string) => (tally[what] = (tally[what] ?? 0) + 1);

  beforeAll(async () => {
    t = await startTestApp({ suppliers: defaultSuppliers() });
    keys = t.app.get(ServerKeys);
    all = t.suppliers.find((s) => s.name === 'ALL')!;
    flu = t.suppliers.find((s) => s.name === 'FLU_ONLY')!;
    tokenUrl = `${t.config.publicBaseUrl}/oauth2/token`;
    const made = await fhirClient(t, await t.tokenFor('ALL')).create(immunization({ vaccineType: 'MMR' }));
    expect(made.status).toBe(201);
    recordPath = `${BASE}/Immunization/${idFromLocation(made.headers.location)}`;
    const jwk = { ...(await exportJWK(attacker.publicKey)), kid: 'attacker', alg: 'RS256' };
    trap = createServer((_req, res) => {
      trapHits++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
  }, 180_000);
  afterAll(async () => {
    await new Promise((r) => trap?.close(r));
    await t?.close();
    // The closing note's table counts these.
    process.stdout.write(`token attack requests: ${JSON.stringify(tally)}\n`);
  });

  describe('bearer access tokens on a FHIR route', () => {
    const iss = () => t.config.publicBaseUrl;
    /** Our own access-token claims for a client, correct unless overridden. */
    const claims = (o: Record<string, unknown> = {}) => ({
      iss: iss(),
      aud: iss(),
      sub: all.clientId,
      client_id: all.clientId,
      iat: now(),
      exp: now() + 300,
      jti: randomUUID(),
      ...o,
    });
    const serverSigned = (c: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      sign({ header: { alg: 'RS256', kid: keys.kid, typ: 'JWT', ...header }, claims: c, key: keys.privateKey });

    const call = (token: string) => t.http.get(recordPath).set('Authorization', `Bearer ${token}`);

    it('a genuine server-signed token reads the record (the control)', async () => {
      count('bearer: control');
      expect((await call(await serverSigned(claims()))).status).toBe(200);
    });

    const attacks: [string, () => Promise<string> | string][] = [
      ['alg none', () => handMade({ alg: 'none', typ: 'JWT' }, claims())],
      [
        'alg None, signature kept',
        async () => {
          const good = await serverSigned(claims());
          return `${b64url({ alg: 'None', typ: 'JWT' })}.${good.split('.')[1]}.${good.split('.')[2]}`;
        },
      ],
      [
        'HS256 signed with the server public key (PEM)',
        () =>
          handMade(
            { alg: 'HS256', kid: keys.kid, typ: 'JWT' },
            claims(),
            hs256(keys.publicKey.export({ type: 'spki', format: 'pem' }) as string),
          ),
      ],
      [
        'HS256 signed with the server public key (DER)',
        () =>
          handMade({ alg: 'HS256', kid: keys.kid, typ: 'JWT' }, claims(), hs256(keys.publicKey.export({ type: 'spki', format: 'der' }))),
      ],
      [
        'HS256 signed with the published JWK JSON',
        () =>
          handMade({ alg: 'HS256', kid: keys.kid, typ: 'JWT' }, claims(), hs256(JSON.stringify(keys.publicKey.export({ format: 'jwk' })))),
      ],
      ['expired', () => serverSigned(claims({ iat: now() - 900, exp: now() - 120 }))],
      ['not yet valid (nbf in 10 min)', () => serverSigned(claims({ nbf: now() + 600 }))],
      ['wrong aud', () => serverSigned(claims({ aud: 'https://elsewhere.example' }))],
      ['no aud', () => serverSigned(claims({ aud: undefined }))],
      ['wrong iss', () => serverSigned(claims({ iss: 'https://evil.example' }))],
      ['unknown supplier (client_id)', () => serverSigned(claims({ client_id: 'nobody-client', sub: 'nobody-client' }))],
      ['no client_id', () => serverSigned(claims({ client_id: undefined }))],
      [
        'tampered payload (FLU_ONLY token made into ALL)',
        async () => {
          const fluToken = await serverSigned(claims({ client_id: flu.clientId, sub: flu.clientId }));
          return tamper(fluToken, (c) => ({ ...c, client_id: all.clientId, sub: all.clientId }));
        },
      ],
      [
        'tampered payload (exp pushed out of an expired token)',
        async () => tamper(await serverSigned(claims({ iat: now() - 900, exp: now() - 120 })), (c) => ({ ...c, exp: now() + 300 })),
      ],
      ['foreign kid, server key', () => serverSigned(claims(), { kid: 'someone-else' })],
      ['no kid, server key', () => serverSigned(claims(), { kid: undefined })],
      ['attacker key, server kid', () => sign({ header: { alg: 'RS256', kid: keys.kid }, claims: claims(), key: attacker.privateKey })],
      [
        'attacker key, ES256, server kid',
        () => sign({ header: { alg: 'ES256', kid: keys.kid }, claims: claims(), key: attackerEc.privateKey }),
      ],
      [
        'jwk header injection (attacker key embedded)',
        async () =>
          sign({
            header: { alg: 'RS256', kid: keys.kid, jwk: await exportJWK(attacker.publicKey) },
            claims: claims(),
            key: attacker.privateKey,
          }),
      ],
      [
        'jku header injection',
        () => sign({ header: { alg: 'RS256', kid: 'attacker', jku: `${trapUrl}/jwks.json` }, claims: claims(), key: attacker.privateKey }),
      ],
      [
        'x5u header injection',
        () => sign({ header: { alg: 'RS256', kid: 'attacker', x5u: `${trapUrl}/cert.pem` }, claims: claims(), key: attacker.privateKey }),
      ],
      [
        'signed with a supplier client key (key confusion)',
        () => sign({ header: { alg: 'RS512', kid: all.keys[0].kid }, claims: claims(), key: all.keys[0].privateKey }),
      ],
      ['no exp (server-signed)', () => serverSigned(claims({ exp: undefined }))],
      ['exp not a number (server-signed)', () => serverSigned(claims({ exp: 'never' }))],
      ['lifetime longer than ACCESS_TOKEN_TTL_SECONDS (exp in 1 h)', () => serverSigned(claims({ exp: now() + 3600 }))],
      ['lifetime longer than configured, by iat (iat 2 h ago, exp in 5 min)', () => serverSigned(claims({ iat: now() - 7200 }))],
      ['no iat (lifetime unknown)', () => serverSigned(claims({ iat: undefined }))],
      ['oversized token (10 KB, server-signed)', () => serverSigned(claims({ pad: 'x'.repeat(7_000) }))],
      ['garbage', () => 'not.a.jwt'],
      ['empty signature', async () => (await serverSigned(claims())).split('.').slice(0, 2).join('.') + '.'],
    ];

    it.each(attacks)('refuses %s with 401', async (what, make) => {
      const token = await make();
      count(`bearer: ${what}`);
      const res = await call(token);
      const body = expectOutcome(res, 401, 'login', 'UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(body.issue[0].diagnostics).not.toMatch(/jwt|secret|key/i);
      expect(res.text).not.toContain('"resourceType":"Immunization"');
    });

    it('never fetched a key from a jku or x5u URL', () => {
      expect(trapHits).toBe(0);
    });

    it('refuses the worst forgeries on every FHIR route, and nothing is written', async () => {
      const id = recordPath.split('/').pop()!;
      const forged: [string, string][] = [
        ['alg none', handMade({ alg: 'none', typ: 'JWT' }, claims())],
        [
          'HS256 with the public key',
          handMade(
            { alg: 'HS256', kid: keys.kid, typ: 'JWT' },
            claims(),
            hs256(keys.publicKey.export({ type: 'spki', format: 'pem' }) as string),
          ),
        ],
        ['no exp', await serverSigned(claims({ exp: undefined }))],
        [
          'jwk injection',
          await sign({
            header: { alg: 'RS256', kid: keys.kid, jwk: await exportJWK(attacker.publicKey) },
            claims: claims(),
            key: attacker.privateKey,
          }),
        ],
      ];
      const json = { 'Content-Type': 'application/fhir+json' };
      const body = JSON.stringify(immunization({ vaccineType: 'MMR' }));
      const routes: [string, (token: string) => any][] = [
        [
          'create',
          (tk) =>
            t.http
              .post(`${BASE}/Immunization`)
              .set({ ...json, Authorization: `Bearer ${tk}` })
              .send(body),
        ],
        ['read', (tk) => t.http.get(recordPath).set('Authorization', `Bearer ${tk}`)],
        ['vread', (tk) => t.http.get(`${recordPath}/_history/1`).set('Authorization', `Bearer ${tk}`)],
        ['history', (tk) => t.http.get(`${recordPath}/_history`).set('Authorization', `Bearer ${tk}`)],
        [
          'update',
          (tk) =>
            t.http
              .put(recordPath)
              .set({ ...json, 'E-Tag': '1', Authorization: `Bearer ${tk}` })
              .send(JSON.stringify({ ...JSON.parse(body), id })),
        ],
        ['delete', (tk) => t.http.delete(recordPath).set('Authorization', `Bearer ${tk}`)],
        [
          'search',
          (tk) =>
            t.http
              .get(`${BASE}/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&-immunization.target=MMR`)
              .set('Authorization', `Bearer ${tk}`),
        ],
        [
          'POST _search',
          (tk) =>
            t.http.post(`${BASE}/Immunization/_search`).set('Authorization', `Bearer ${tk}`).type('form').send('-immunization.target=MMR'),
        ],
        ['change feed', (tk) => t.http.get(`${BASE}/Immunization/_history`).set('Authorization', `Bearer ${tk}`)],
        [
          'Subscription create',
          (tk) =>
            t.http
              .post(`${BASE}/Subscription`)
              .set({ ...json, Authorization: `Bearer ${tk}` })
              .send('{}'),
        ],
        ['Subscription list', (tk) => t.http.get(`${BASE}/Subscription`).set('Authorization', `Bearer ${tk}`)],
        ['Subscription read', (tk) => t.http.get(`${BASE}/Subscription/${randomUUID()}`).set('Authorization', `Bearer ${tk}`)],
        [
          'Subscription update',
          (tk) =>
            t.http
              .put(`${BASE}/Subscription/${randomUUID()}`)
              .set({ ...json, Authorization: `Bearer ${tk}` })
              .send('{}'),
        ],
        ['Subscription delete', (tk) => t.http.delete(`${BASE}/Subscription/${randomUUID()}`).set('Authorization', `Bearer ${tk}`)],
      ];
      for (const [route, send] of routes) {
        for (const [what, token] of forged) {
          count(`bearer on every route: ${what}`);
          const res = await send(token);
          expect({ route, what, status: res.status }).toEqual({ route, what, status: 401 });
        }
      }
      const read = await t.http.get(recordPath).set('Authorization', `Bearer ${await t.tokenFor('ALL')}`);
      expect(read.body.meta.versionId).toBe('1');
    });

    it('refuses a token sent as Basic, twice, or in the query string', async () => {
      const good = await serverSigned(claims());
      for (const [what, req] of [
        ['Basic', t.http.get(recordPath).set('Authorization', `Basic ${good}`)],
        ['query string', t.http.get(`${recordPath}?access_token=${good}`)],
        ['two tokens in one header', t.http.get(recordPath).set('Authorization', `Bearer ${good} ${good}`)],
      ] as const) {
        count(`bearer: ${what}`);
        expect({ what, status: (await req).status }).toEqual({ what, status: 401 });
      }
    });
  });

  describe('client assertions at /oauth2/token', () => {
    const exchange = (assertion: string) =>
      t.http
        .post('/oauth2/token')
        .type('form')
        .send(
          new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: CLIENT_ASSERTION_TYPE,
            client_assertion: assertion,
          }).toString(),
        );
    const rs = () => all.keys.find((k) => k.alg === 'RS512')!;
    const claims = (o: Record<string, unknown> = {}) => ({
      iss: all.clientId,
      sub: all.clientId,
      aud: tokenUrl,
      iat: now(),
      exp: now() + 240,
      jti: randomUUID(),
      ...o,
    });
    const clientSigned = (c: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      sign({ header: { alg: 'RS512', kid: rs().kid, typ: 'JWT', ...header }, claims: c, key: rs().privateKey });

    it('a genuine assertion gets a token (the control)', async () => {
      count('assertion: control');
      expect((await exchange(await clientSigned(claims()))).status).toBe(200);
    });

    const attacks: [string, () => Promise<string> | string, number][] = [
      ['alg none', () => handMade({ alg: 'none', kid: rs().kid }, claims()), 401],
      [
        'HS256 signed with the client public key (PEM)',
        () => handMade({ alg: 'HS256', kid: rs().kid }, claims(), hs256(rs().publicKey.export({ type: 'spki', format: 'pem' }) as string)),
        401,
      ],
      [
        'HS256 signed with the client public key (JWK JSON)',
        () => handMade({ alg: 'HS256', kid: rs().kid }, claims(), hs256(JSON.stringify(rs().publicKey.export({ format: 'jwk' })))),
        401,
      ],
      ['expired', () => clientSigned(claims({ iat: now() - 600, exp: now() - 120 })), 401],
      ['not yet valid (nbf in 10 min)', () => clientSigned(claims({ nbf: now() + 600 })), 401],
      ['wrong aud', () => clientSigned(claims({ aud: 'https://elsewhere.example/oauth2/token' })), 401],
      ['wrong iss (iss differs from sub)', () => clientSigned(claims({ iss: flu.clientId })), 401],
      ['another client as iss and sub, own key', () => clientSigned(claims({ iss: flu.clientId, sub: flu.clientId })), 401],
      ['unknown supplier', () => clientSigned(claims({ iss: 'nobody-client', sub: 'nobody-client' })), 401],
      [
        'tampered payload (sub and iss swapped to another client)',
        async () => tamper(await clientSigned(claims()), (c) => ({ ...c, iss: flu.clientId, sub: flu.clientId })),
        401,
      ],
      [
        'tampered payload (exp extended)',
        async () => tamper(await clientSigned(claims({ exp: now() - 60 })), (c) => ({ ...c, exp: now() + 200 })),
        401,
      ],
      ['foreign kid', () => clientSigned(claims(), { kid: 'not-registered' }), 401],
      ["another supplier's kid", () => clientSigned(claims(), { kid: flu.keys[0].kid }), 401],
      ['no kid', () => clientSigned(claims(), { kid: undefined }), 401],
      [
        'attacker key, registered kid',
        () => sign({ header: { alg: 'RS512', kid: rs().kid }, claims: claims(), key: attacker.privateKey }),
        401,
      ],
      [
        'jwk header injection',
        async () =>
          sign({
            header: { alg: 'RS512', kid: rs().kid, jwk: await exportJWK(attacker.publicKey) },
            claims: claims(),
            key: attacker.privateKey,
          }),
        401,
      ],
      [
        'jku header injection',
        () => sign({ header: { alg: 'RS512', kid: 'attacker', jku: `${trapUrl}/jwks.json` }, claims: claims(), key: attacker.privateKey }),
        401,
      ],
      [
        'x5u header injection',
        () => sign({ header: { alg: 'RS512', kid: 'attacker', x5u: `${trapUrl}/cert.pem` }, claims: claims(), key: attacker.privateKey }),
        401,
      ],
      ['lifetime > 5 min (exp in 1 h)', () => clientSigned(claims({ exp: now() + 3600 })), 401],
      ['no exp', () => clientSigned(claims({ exp: undefined })), 401],
      ['no jti', () => clientSigned(claims({ jti: undefined })), 401],
      ['jti with U+0000', () => clientSigned(claims({ jti: `a\u0000b-${randomUUID()}` })), 401],
      ['jti of 3,000 characters', () => clientSigned(claims({ jti: 'j'.repeat(3000) })), 401],
      ['oversized assertion (20 KB)', () => clientSigned(claims({ pad: 'x'.repeat(20_000) })), 400],
      ['not a JWT', () => 'definitely-not-a-jwt', 400],
    ];

    it.each(attacks)('refuses %s', async (what, make, status) => {
      const assertion = await make();
      count(`assertion: ${what}`);
      const res = await exchange(assertion);
      expectOutcome(res, status, status === 401 ? 'login' : 'invalid', status === 401 ? 'UNAUTHORIZED' : 'INVALID');
      expect(res.text).not.toContain('access_token');
    });

    it('refuses a replayed jti (the same assertion again, and a new signature over the same jti)', async () => {
      const jti = randomUUID();
      const first = await clientSigned(claims({ jti }));
      count('assertion: replayed jti');
      count('assertion: replayed jti');
      count('assertion: replayed jti');
      expect((await exchange(first)).status).toBe(200);
      expectOutcome(await exchange(first), 401, 'login', 'UNAUTHORIZED');
      // A fresh signature over the same jti is a replay too.
      expectOutcome(await exchange(await clientSigned(claims({ jti }))), 401, 'login', 'UNAUTHORIZED');
    });

    it('never fetched a key from a jku or x5u URL', () => {
      expect(trapHits).toBe(0);
    });
  });
});
