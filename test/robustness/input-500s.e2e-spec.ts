import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../../src/auth/token.service';
import { BASE, FHIR_JSON, immunization, nhsNumber } from '../support/immunization-fixture';
import { subscriptionBody, EVENT } from '../notification/support/notification-client';
import { startTestApp, TestApp } from '../support/test-app';
import { outcomeShapeProblems } from './support/outcome-shape';

/**
 * Issue 14, defect 3: input that reached PostgreSQL and came back as a 500. U+0000 in any value,
 * an impossible date inside a search cursor, and values too long for a database index. Each must
 * be a precise 4xx OperationOutcome, and nothing may be logged as an unhandled error.
 */
describe('input that used to reach the database as a 500', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*', NATS_URL: '' } });
    token = await t.tokenFor('ALL');
  }, 180000); // start-up alone can take a minute on a loaded CI machine
  afterAll(() => t?.close());

  const auth = (r: any) => r.set('Authorization', `Bearer ${token}`);
  const postJson = (path: string, body: unknown) =>
    auth(t.http.post(`${BASE}${path}`))
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(body));
  let mark = 0;
  beforeEach(() => (mark = t.logger.entries.length));
  const unhandled = () => t.logger.entries.slice(mark).filter((e) => e.level === 'error');
  const expect4xx = (res: any, status = 400, diagnostics?: RegExp) => {
    expect({ status: res.status, body: res.body }).toMatchObject({ status });
    expect(outcomeShapeProblems(res.body)).toEqual([]);
    if (diagnostics) expect(res.body.issue[0].diagnostics).toMatch(diagnostics);
  };
  const NUL = /U\+0000/;
  const patientSearch = `patient.identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumber()}&-immunization.target=FLU`;

  afterEach(() => expect(unhandled()).toEqual([]));

  describe('U+0000 anywhere', () => {
    it('in an identifier search', async () => {
      expect4xx(await auth(t.http.get(`${BASE}/Immunization?identifier=https://x.org/a%00b|v`)), 400, NUL);
      expect4xx(await auth(t.http.get(`${BASE}/Immunization?identifier=https://x.org/ab|v%00`)), 400, NUL);
    });
    it('in a patient search, GET and POST _search', async () => {
      expect4xx(await auth(t.http.get(`${BASE}/Immunization?${patientSearch}%00`)), 400, NUL);
      const res = await auth(t.http.post(`${BASE}/Immunization/_search`))
        .type('form')
        .send(`${patientSearch}%00`);
      expect4xx(res, 400, NUL);
    });
    it('in a path id', async () => {
      expect4xx(await auth(t.http.get(`${BASE}/Immunization/abc%00`)), 400, NUL);
    });
    it('in identifier values and ODS codes of a create', async () => {
      expect4xx(await postJson('/Immunization', immunization({ identifierValue: 'a\u0000b' })), 400, NUL);
      expect4xx(await postJson('/Immunization', immunization({ identifierSystem: 'https://x.org/\u0000' })), 400, NUL);
      const ods = immunization();
      ods.location.identifier.value = 'X9\u00009';
      expect4xx(await postJson('/Immunization', ods), 400, NUL);
      const key = immunization();
      key['\u0000'] = 1;
      expect4xx(await postJson('/Immunization', key), 400, NUL);
    });
    it('in Subscription criteria and endpoint', async () => {
      expect4xx(
        await postJson('/Subscription', subscriptionBody('http://127.0.0.1:9/hook', { criteria: `Immunization?eventType=${EVENT}\u0000` })),
        400,
        NUL,
      );
      expect4xx(await postJson('/Subscription', subscriptionBody('http://127.0.0.1:9/ho\u0000ok')), 400, NUL);
    });
    it('a literal backslash-u-0000 text (escaped backslash) is not NUL and is accepted', async () => {
      expect((await postJson('/Immunization', immunization({ identifierValue: 'a\\u0000b' }))).status).toBe(201);
    });
  });

  describe('token endpoint: client assertion jti', () => {
    const assertion = (jti: string) => {
      const s = t.suppliers.find((x) => x.name === 'ALL')!;
      const pair = s.keys[0];
      return new SignJWT({})
        .setProtectedHeader({ alg: pair.alg, kid: pair.kid, typ: 'JWT' })
        .setIssuer(s.clientId)
        .setSubject(s.clientId)
        .setAudience(`${t.config.publicBaseUrl}/oauth2/token`)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + 120)
        .setJti(jti)
        .sign(pair.privateKey);
    };
    const grant = async (jti: string) =>
      t.http
        .post('/oauth2/token')
        .type('form')
        .send(
          new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: CLIENT_ASSERTION_TYPE,
            client_assertion: await assertion(jti),
          }).toString(),
        );
    it('holding U+0000 is refused with 401', async () => expect4xx(await grant(`a\u0000${randomUUID()}`), 401, /jti/));
    it('of 3,000 random characters is refused with 401', async () =>
      expect4xx(await grant(randomBytes(2250).toString('base64')), 401, /jti/));
    it('a normal jti still works', async () => expect((await grant(randomUUID())).status).toBe(200));
  });

  it('an impossible date inside a search _cursor is 400', async () => {
    for (const at of ['2024-06-31T00:00:00.000000Z', '2023-02-29T10:00:00.000000Z', '2024-01-01T24:00:00.000000Z']) {
      const cursor = Buffer.from(`${at}|${randomUUID()}`).toString('base64url');
      expect4xx(await auth(t.http.get(`${BASE}/Immunization?${patientSearch}&_cursor=${cursor}`)), 400);
    }
  });

  describe('values too long for a database index', () => {
    const random = (n: number) => Array.from(randomBytes(n), (b) => String.fromCharCode(0x4e00 + b)).join('');
    it('identifier value of 3,000 random characters: 400 naming it', async () => {
      const res = await postJson('/Immunization', immunization({ identifierValue: random(3000) }));
      expect4xx(res, 400, /identifier\[0\]\.value must be at most 1024 bytes/);
      expect(res.body.issue[0].expression).toEqual(['Immunization.identifier[0].value']);
    });
    it('identifier system of 3,000 random characters: 400 naming it', async () => {
      const res = await postJson('/Immunization', immunization({ identifierSystem: `https://x.org/${random(3000)}` }));
      expect4xx(res, 400, /identifier\[0\]\.system must be at most 1024 bytes/);
    });
    it('identifier search with a 3,000-character value: an answer, not a 500', async () => {
      const res = await auth(t.http.get(`${BASE}/Immunization?identifier=${encodeURIComponent(`https://x.org|${random(3000)}`)}`));
      expect(res.status).toBeLessThan(500);
    });
    it('the longest accepted identifier is stored and found', async () => {
      const value = 'v'.repeat(1024);
      const system = `https://x.org/${'s'.repeat(1024 - 14)}`;
      expect((await postJson('/Immunization', immunization({ identifierValue: value, identifierSystem: system }))).status).toBe(201);
      const found = await auth(t.http.get(`${BASE}/Immunization?identifier=${encodeURIComponent(`${system}|${value}`)}`));
      expect(found.status).toBe(200);
      expect(found.body.total ?? found.body.entry?.length).toBe(1);
    });
  });
});
