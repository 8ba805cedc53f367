import { connect, Socket } from 'node:net';
import { BASE } from '../support/immunization-fixture';
import { startTestApp, TestApp } from '../support/test-app';
import { outcomeShapeProblems } from './support/outcome-shape';

interface RawAnswer {
  status: number | null;
  headers: Record<string, string>;
  body: string;
  closedAfterMs: number;
}

/**
 * Opens a raw connection on 127.0.0.1, writes `first`, then `drip` once every `everyMs` until the
 * server closes the connection (or `giveUpMs` passes); returns what came back and when it closed.
 */
function rawExchange(port: number, first: string, drip: string | null, everyMs: number, giveUpMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      const [head, ...rest] = data.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1];
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: status ? Number(status) : null, headers, body: rest.join('\r\n\r\n'), closedAfterMs: Date.now() - started });
    };
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(first);
      if (drip !== null) timer = setInterval(() => socket.writable && socket.write(drip), everyMs);
    });
  });
}

const port = (t: TestApp) => Number(new URL(t.url).port);

describe('HTTP hardening: timeouts, parser errors, security headers, CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' },
    });
  }, 180000); // start-up alone can take a minute on a loaded CI machine
  afterAll(() => t?.close());

  const expectOutcome = (a: RawAnswer, status: number) => {
    expect(a.status).toBe(status);
    expect(a.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(outcomeShapeProblems(JSON.parse(a.body))).toEqual([]);
  };

  describe('slow and idle clients are cut off (before: held for up to 330 s)', () => {
    it('headers trickled a byte at a time: 408 OperationOutcome, closed within seconds', async () => {
      const a = await rawExchange(port(t), 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a', 200, 20000);
      expectOutcome(a, 408);
      expect(a.closedAfterMs).toBeLessThan(8000); // 1 s timeout + ≤ 1 s check interval, generous for CI
    });
    it('a body trickled a byte at a time: 408 OperationOutcome, closed within seconds', async () => {
      const head = `POST ${BASE}/Immunization HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nContent-Length: 100000\r\n\r\n{`;
      const a = await rawExchange(port(t), head, ' ', 200, 20000);
      expectOutcome(a, 408);
      expect(a.closedAfterMs).toBeLessThan(10000);
    });
    it('an idle keep-alive connection is closed', async () => {
      const a = await rawExchange(port(t), 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', null, 0, 20000);
      expect(a.status).toBe(200);
      expect(a.closedAfterMs).toBeLessThan(8000);
    });
  });

  describe("Node's own parser errors get an OperationOutcome body", () => {
    it('garbage instead of a request line: 400', async () => {
      expectOutcome(await rawExchange(port(t), 'NOT HTTP AT ALL\r\n\r\n', null, 0, 10000), 400);
    });
    it('a bad header line: 400', async () => {
      expectOutcome(await rawExchange(port(t), 'GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', null, 0, 10000), 400);
    });
    it('headers over the size limit: 431', async () => {
      expectOutcome(
        await rawExchange(port(t), `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`, null, 0, 10000),
        431,
      );
    });
  });

  describe('security headers', () => {
    it('on FHIR answers: nosniff, no framing, no referrer, no-store, strict CSP, no X-Powered-By', async () => {
      const token = await t.tokenFor('ALL');
      for (const res of [
        await t.http.get(`${BASE}/metadata`),
        await t.http.get(`${BASE}/Immunization/x`).set('Authorization', `Bearer ${token}`),
      ]) {
        expect(res.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        });
        expect(res.headers['content-security-policy']).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
        expect(res.headers['x-powered-by']).toBeUndefined();
        expect(res.headers['strict-transport-security']).toBeUndefined(); // HSTS off unless configured
      }
    });
    it('Swagger UI at /docs still loads: HTML and its script under a CSP that allows them', async () => {
      const page = await t.http.get('/docs/').redirects(1);
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
      // Every script the page uses is a same-origin file (an inline script would be blocked by the CSP).
      const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, inline] of scripts) {
        expect(inline.trim()).toBe('');
        const src = /src="([^"]+)"/.exec(attrs)?.[1] ?? '';
        expect(src).not.toMatch(/^https?:/);
        const js = await t.http.get(new URL(src, `${t.url}/docs/`).pathname);
        expect(js.status).toBe(200);
      }
      expect((await t.http.get('/docs-json')).status).toBe(200);
    });
    it('CORS is off by default: no Access-Control headers for any origin', async () => {
      const res = await t.http
        .options(`${BASE}/Immunization`)
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const get = await t.http.get(`${BASE}/metadata`).set('Origin', 'https://evil.example');
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('HSTS and a CORS allow-list when configured', async () => {
    const c = await startTestApp({ env: { HSTS_MAX_AGE_SECONDS: '31536000', CORS_ALLOWED_ORIGINS: 'https://app.example' } });
    try {
      const res = await c.http.get(`${BASE}/metadata`).set('Origin', 'https://app.example');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
      const pre = await c.http
        .options(`${BASE}/Immunization`)
        .set('Origin', 'https://app.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
      const other = await c.http.get(`${BASE}/metadata`).set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await c.close();
    }
  }, 180000);
});
