import { Agent, get as httpGet } from 'node:http';
import { startTestApp, TestApp } from '../support/test-app';
import { expectOutcome } from './support/outcome';
import { PROBE, ProbeController } from './support/probe.controller';

/** Health, metrics, docs and the request log (docs/api.md §1), on the real app and database. */
describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ controllers: [ProbeController] });
  });
  afterAll(() => t?.close());

  /** The request log line is written on 'finish', which can trail the client seeing the response. */
  async function requestLogFor(requestId: string) {
    for (let i = 0; i < 50; i++) {
      const entry = t.logger.entries.find((e) => e.msg === 'request' && e.requestId === requestId);
      if (entry) return entry;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no request log line for ${requestId}`);
  }

  describe('health', () => {
    it('live answers 200 without a token', async () => {
      const res = await t.http.get('/health/live');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('ready answers 200 with the database reachable and every migration applied', async () => {
      const res = await t.http.get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, migrations: { status: 'up' } } });
    });
  });

  describe('metrics', () => {
    it('serves Prometheus text with request counts and the latency histogram of a route just called', async () => {
      for (let i = 0; i < 3; i++) expect((await t.http.get('/health/live')).status).toBe(200);
      expect((await t.http.get('/no/such/route')).status).toBe(404);
      const res = await t.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
      const text = res.text;
      expect(text).toContain('# TYPE http_requests_total counter');
      expect(text).toContain('# TYPE http_request_duration_seconds histogram');
      const count = /^http_requests_total\{method="GET",route="\/health\/live",status="200"\} (\d+)$/m.exec(text);
      expect(Number(count?.[1])).toBeGreaterThanOrEqual(3);
      expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/health\/live",status="200"\} \d+$/m);
      expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/health\/live",status="200"\} (\d+)$/m);
      expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} \d+$/m);
      // Unknown paths are one label value, so scanners cannot blow up the series count.
      expect(text).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404"\} \d+$/m);
      expect(text).not.toContain('/no/such/route');
      expect(text).toContain('process_resident_memory_bytes');
    });
  });

  describe('docs', () => {
    it('serves Swagger UI at /docs', async () => {
      const res = await t.http.get('/docs').redirects(2);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toMatch(/swagger-ui/i);
    });

    it('serves the OpenAPI document at /docs-json with bearer security', async () => {
      const res = await t.http.get('/docs-json');
      expect(res.status).toBe(200);
      const doc = res.body;
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.title).toBe('Immunisation FHIR API');
      expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      expect(doc.security).toEqual([{ bearer: [] }]);
      expect(doc.paths['/oauth2/token'].post).toBeDefined();
      expect(doc.paths['/health/ready'].get).toBeDefined();
    });
  });

  describe('request log', () => {
    it('has requestId, route pattern, status and duration, and never the token or the query string', async () => {
      const token = await t.tokenFor('ALL');
      const res = await t.http
        .get(`${PROBE}/whoami?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9912003888&secret=s3cr3t`)
        .set('Authorization', `Bearer ${token}`)
        .set('X-Request-ID', 'log-line-1');
      expect(res.status).toBe(200);
      const entry = await requestLogFor('log-line-1');
      expect(entry).toMatchObject({ level: 'info', method: 'GET', route: `${PROBE}/whoami`, status: 200 });
      expect(typeof entry.durationMs).toBe('number');
      expect(entry.durationMs as number).toBeGreaterThanOrEqual(0);
      const line = JSON.stringify(entry);
      expect(line).not.toContain(token);
      expect(line).not.toContain(token.split('.')[2]);
      expect(line).not.toContain('9912003888');
      expect(line).not.toContain('s3cr3t');
      expect(line).not.toContain('?');
    });

    it('logs errors too, with a generated requestId when the client sent none', async () => {
      const before = t.logger.entries.length;
      const res = await t.http.get(`${PROBE}/whoami`).set('Authorization', 'Bearer definitely-not-a-token');
      expectOutcome(res, 401, 'login', 'UNAUTHORIZED');
      let entry;
      for (let i = 0; i < 50 && !entry; i++) {
        entry = t.logger.entries.slice(before).find((e) => e.msg === 'request' && e.status === 401);
        if (!entry) await new Promise((r) => setTimeout(r, 10));
      }
      expect(entry).toMatchObject({ route: `${PROBE}/whoami`, status: 401 });
      expect(entry?.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(entry)).not.toContain('definitely-not-a-token');
    });
  });
});

describe('graceful close', () => {
  it('lets an in-flight request finish, then closes promptly even though the client keeps connections alive', async () => {
    const t = await startTestApp({ controllers: [ProbeController] });
    const agent = new Agent({ keepAlive: true });
    const inFlight = new Promise<{ status: number; connection?: string; text: string }>((resolve, reject) => {
      httpGet(`${t.url}${PROBE}/slow`, { agent }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
      }).on('error', reject);
    });
    // Let the request reach its handler (which sleeps 400 ms), then shut down.
    await new Promise((r) => setTimeout(r, 150));
    const closeStarted = Date.now();
    await t.close();
    const closedAt = Date.now();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ resourceType: 'Basic', finished: true });
    // The handler finished before the app (and its database) closed...
    expect(ProbeController.slowFinishedAt).toBeGreaterThan(0);
    expect(ProbeController.slowFinishedAt).toBeLessThanOrEqual(closedAt);
    // ...the answer told the client not to reuse the connection, so close() did not wait for the
    // keep-alive timeout (5 s) to run out.
    expect(res.connection).toBe('close');
    expect(closedAt - closeStarted).toBeLessThan(5000);
    // And it no longer takes connections.
    await expect(fetch(`${t.url}/health/live`)).rejects.toThrow();
    agent.destroy();
  });
});
