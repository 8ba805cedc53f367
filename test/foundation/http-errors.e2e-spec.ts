import { request as httpRequest } from 'node:http';
import { FHIR_BASE_PATH } from '../../src/config/app-config';
import { MAX_JSON_DEPTH } from '../../src/fhir/request-body';
import { startTestApp, TestApp } from '../support/test-app';
import { expectOutcome } from './support/outcome';
import { PROBE, ProbeController, SECRET_IN_ERROR } from './support/probe.controller';

const MAX_BODY = 4096;
const FHIR_JSON = 'application/fhir+json';

/** A raw request, so the test controls framing (chunked, no Content-Length) exactly. */
function rawRequest(
  url: string,
  opts: { method: string; path: string; headers: Record<string, string>; chunks: Buffer[] },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${opts.path}`, { method: opts.method, headers: opts.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    // The server may answer 413 and stop reading before the last chunk: that is the point.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    (async () => {
      for (const c of opts.chunks) {
        if (!req.write(c)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('HTTP error pipeline (docs/api.md §3): every failure is an OperationOutcome', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ controllers: [ProbeController], env: { MAX_BODY_BYTES: String(MAX_BODY) } });
    token = await t.tokenFor('ALL');
  });
  afterAll(() => t?.close());

  const auth = () => ({ Authorization: `Bearer ${token}` });

  describe('routing', () => {
    it('answers an unknown route with 404 not-found, outside and inside the FHIR base', async () => {
      const a = expectOutcome(await t.http.get('/no/such/route'), 404, 'not-found', 'NOT-FOUND');
      expect(a.issue[0].diagnostics).toContain('/no/such/route');
      expectOutcome(await t.http.get(`${FHIR_BASE_PATH}/NoSuchResource`).set(auth()), 404, 'not-found', 'NOT-FOUND');
      expectOutcome(await t.http.post('/no/such/route').set('Content-Type', FHIR_JSON).send('{}'), 404, 'not-found', 'NOT-FOUND');
    });

    it('answers a wrong method on a known route with 405 not-supported and an Allow header', async () => {
      const res = await t.http.delete(`${PROBE}/whoami`).set(auth());
      expectOutcome(res, 405, 'not-supported', 'NOT-SUPPORTED');
      expect(res.headers.allow).toBe('GET, HEAD');
      const token405 = await t.http.get('/oauth2/token');
      expectOutcome(token405, 405, 'not-supported', 'NOT-SUPPORTED');
      expect(token405.headers.allow).toBe('POST');
      const put = await t.http.put('/health/live');
      expectOutcome(put, 405, 'not-supported', 'NOT-SUPPORTED');
      expect(put.headers.allow).toBe('GET, HEAD');
    });
  });

  describe('content negotiation on FHIR routes', () => {
    it.each([
      undefined,
      '*/*',
      'application/fhir+json',
      'application/json',
      'application/fhir+json; fhirVersion=4.0',
      'text/html, application/*;q=0.5',
    ])('serves JSON when Accept is %p', async (accept) => {
      const req = t.http.get(`${PROBE}/whoami`).set(auth());
      if (accept !== undefined) req.set('Accept', accept);
      const res = await req;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ resourceType: 'Basic', supplier: 'ALL' });
    });

    it.each(['application/xml', 'application/fhir+xml', 'text/html', 'application/fhir+json;q=0'])(
      'answers 406 not-supported when Accept is %p',
      async (accept) => {
        expectOutcome(await t.http.get(`${PROBE}/whoami`).set(auth()).set('Accept', accept), 406, 'not-supported', 'NOT-SUPPORTED');
      },
    );

    it('honours FHIR _format over Accept', async () => {
      expectOutcome(await t.http.get(`${PROBE}/whoami?_format=xml`).set(auth()), 406, 'not-supported', 'NOT-SUPPORTED');
      const ok = await t.http.get(`${PROBE}/whoami?_format=json`).set(auth()).set('Accept', 'application/xml');
      expect(ok.status).toBe(200);
    });

    it('leaves non-FHIR routes alone (the JWKS is plain JSON whatever the Accept)', async () => {
      const res = await t.http.get('/.well-known/jwks.json').set('Accept', 'application/xml');
      expect(res.status).toBe(200);
      expect(res.body.keys[0].kid).toEqual(expect.any(String));
    });
  });

  describe('request bodies', () => {
    const post = (body: string | Buffer, type?: string) => {
      const req = t.http.post(`${PROBE}/public-echo`);
      if (type) req.set('Content-Type', type);
      return req.send(body);
    };

    it.each([FHIR_JSON, `${FHIR_JSON}; charset=utf-8`, 'application/json', 'application/json+fhir'])(
      'accepts JSON sent as %s',
      async (type) => {
        const res = await post('{"resourceType":"Basic","n":1}', type);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.text).echo).toEqual({ resourceType: 'Basic', n: 1 });
      },
    );

    it.each(['text/plain', 'application/xml', 'application/fhir+xml', 'multipart/form-data; boundary=x'])(
      'answers 415 not-supported for Content-Type %s',
      async (type) => {
        expectOutcome(await post('{"resourceType":"Basic"}', type), 415, 'not-supported', 'NOT-SUPPORTED');
      },
    );

    it('answers 415 for a body without any Content-Type', async () => {
      const res = await rawRequest(t.url, {
        method: 'POST',
        path: `${PROBE}/public-echo`,
        headers: { 'Content-Length': '2' },
        chunks: [Buffer.from('{}')],
      });
      expectOutcome(res as never, 415, 'not-supported', 'NOT-SUPPORTED');
    });

    it('answers 415 for a form body on a FHIR JSON route', async () => {
      expectOutcome(await post('a=b', 'application/x-www-form-urlencoded'), 415, 'not-supported', 'NOT-SUPPORTED');
    });

    it.each(['{"resourceType":', '{"a":1,}', "{'a':1}", 'not json', ''])('answers 400 invalid for the malformed JSON %p', async (text) => {
      expectOutcome(await post(text, FHIR_JSON), 400, 'invalid', 'INVALID');
    });

    it(`accepts JSON nested exactly ${MAX_JSON_DEPTH} levels deep and refuses ${MAX_JSON_DEPTH + 1} with 400 invalid`, async () => {
      const ok = await post(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`, FHIR_JSON);
      expect(ok.status).toBe(200);
      const tooDeep = expectOutcome(await post(`{"a":${nested(MAX_JSON_DEPTH)}}`, FHIR_JSON), 400, 'invalid', 'INVALID');
      expect(tooDeep.issue[0].diagnostics).toContain(`deeper than ${MAX_JSON_DEPTH}`);
      // Brackets inside strings are text, not nesting.
      const inString = await post(JSON.stringify({ s: '['.repeat(500) }), FHIR_JSON);
      expect(inString.status).toBe(200);
    });

    it('answers 413 too-long for a body over MAX_BODY_BYTES announced by Content-Length, without reading it', async () => {
      const big = `{"pad":"${'x'.repeat(MAX_BODY)}"}`;
      const res = await post(big, FHIR_JSON);
      const body = expectOutcome(res, 413, 'too-long', 'TOO-LARGE');
      expect(body.issue[0].diagnostics).toContain(String(MAX_BODY));
    });

    it('answers 413 too-long for a chunked body (no Content-Length) that grows over MAX_BODY_BYTES', async () => {
      const chunk = Buffer.from('x'.repeat(1024));
      const res = await rawRequest(t.url, {
        method: 'POST',
        path: `${PROBE}/public-echo`,
        headers: { 'Content-Type': FHIR_JSON, 'Transfer-Encoding': 'chunked', 'X-Request-ID': 'chunked-413' },
        chunks: [Buffer.from('{"pad":"'), ...Array(8).fill(chunk), Buffer.from('"}')],
      });
      expectOutcome(res as never, 413, 'too-long', 'TOO-LARGE');
      expect(res.headers['x-request-id']).toBe('chunked-413');
    });

    it('accepts a chunked body under the limit', async () => {
      const res = await rawRequest(t.url, {
        method: 'POST',
        path: `${PROBE}/public-echo`,
        headers: { 'Content-Type': FHIR_JSON, 'Transfer-Encoding': 'chunked' },
        chunks: [Buffer.from('{"resourceType":'), Buffer.from('"Basic"}')],
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).echo).toEqual({ resourceType: 'Basic' });
    });

    it('checks the bearer token before the body: no token and a broken body gives 401, not 400/413', async () => {
      expectOutcome(await t.http.post(`${PROBE}/echo`).set('Content-Type', FHIR_JSON).send('{broken'), 401, 'login', 'UNAUTHORIZED');
      const withToken = await t.http.post(`${PROBE}/echo`).set(auth()).set('Content-Type', FHIR_JSON).send('{broken');
      expectOutcome(withToken, 400, 'invalid', 'INVALID');
    });
  });

  describe('unexpected errors', () => {
    it('answers 500 exception/EXCEPTION with no message, stack or internals, and logs the stack', async () => {
      const res = await t.http.get(`${PROBE}/boom`).set('X-Request-ID', 'boom-1');
      const body = expectOutcome(res, 500, 'exception', 'EXCEPTION');
      expect(res.text).not.toContain('hunter2');
      expect(res.text).not.toContain('secret-module');
      expect(res.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|stack/i);
      expect(body.issue).toHaveLength(1);
      expect(Object.keys(body).sort()).toEqual(['id', 'issue', 'meta', 'resourceType']);
      const logged = t.logger.entries.find((e) => e.level === 'error' && e.requestId === 'boom-1');
      expect(logged).toMatchObject({ error: SECRET_IN_ERROR });
      expect(String(logged?.stack)).toContain('probe.controller');
    });
  });

  describe('X-Request-ID and X-Correlation-ID', () => {
    const ids = { 'X-Request-ID': 'req-0b1c', 'X-Correlation-ID': 'corr-7d2e' };
    const mirrored = (res: { headers: Record<string, unknown> }) => {
      expect(res.headers['x-request-id']).toBe(ids['X-Request-ID']);
      expect(res.headers['x-correlation-id']).toBe(ids['X-Correlation-ID']);
    };

    it('mirrors both on success', async () => {
      const ok = await t.http.get(`${PROBE}/whoami`).set(auth()).set(ids);
      expect(ok.status).toBe(200);
      mirrored(ok);
      mirrored(await t.http.get('/health/live').set(ids));
    });

    it('mirrors both on every kind of error', async () => {
      const responses = [
        await t.http.get('/nowhere').set(ids), // 404
        await t.http.delete(`${PROBE}/whoami`).set(auth()).set(ids), // 405
        await t.http.get(`${PROBE}/whoami`).set(ids), // 401
        await t.http.get(`${PROBE}/whoami`).set(auth()).set(ids).set('Accept', 'text/html'), // 406
        await t.http.post(`${PROBE}/public-echo`).set(ids).set('Content-Type', 'text/plain').send('x'), // 415
        await t.http.post(`${PROBE}/public-echo`).set(ids).set('Content-Type', FHIR_JSON).send('{'), // 400
        await t.http
          .post(`${PROBE}/public-echo`)
          .set(ids)
          .set('Content-Type', FHIR_JSON)
          .send('x'.repeat(MAX_BODY + 1)), // 413
        await t.http.get(`${PROBE}/boom`).set(ids), // 500
      ];
      expect(responses.map((r) => r.status)).toEqual([404, 405, 401, 406, 415, 400, 413, 500]);
      for (const r of responses) {
        mirrored(r);
        expect(r.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
        expect(JSON.parse(r.text).resourceType).toBe('OperationOutcome');
      }
    });

    it('sends neither header back when the client sent none', async () => {
      const res = await t.http.get('/nowhere');
      expect(res.headers['x-request-id']).toBeUndefined();
      expect(res.headers['x-correlation-id']).toBeUndefined();
    });
  });
});
