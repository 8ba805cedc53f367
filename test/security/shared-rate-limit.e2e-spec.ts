import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { expectOutcome } from '../foundation/support/outcome';
import { fhirClient, idFromLocation } from '../support/fhir-client';
import { immunization } from '../support/immunization-fixture';
import { startTestApp, TestApp, testSupplier } from '../support/test-app';

/**
 * OWASP API4 (unrestricted resource consumption): a supplier's rate limit holds across instances.
 * Two app instances share REDIS_URL (a key prefix of their own, so parallel runs never meet); a
 * supplier limited to 5/s hammers both at once for a bounded window, and the 2xx it gets stay
 * within one bucket's worth: burst (5) + 5/s × window, not twice that.
 */
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const RATE = 5;
const WINDOW_MS = 3000;
const PER_APP_PER_SECOND = 20;

describe('rate limits shared through Redis', () => {
  const prefix = `imms-test:${process.pid}:${randomUUID().slice(0, 8)}:`;
  const suppliers = [testSupplier('ALL', ['*.CRUDS']), testSupplier('LIMITED', ['*.CRUDS'], { rateLimitPerSecond: RATE })];
  let a: TestApp;
  let b: TestApp;
  const env = { REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix };

  beforeAll(async () => {
    a = await startTestApp({ suppliers, env });
    b = await startTestApp({ suppliers, env });
  }, 180_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    const r = new Redis(REDIS_URL);
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
    r.disconnect();
  });

  /** Fires GETs at a steady pace at one instance for WINDOW_MS; returns the statuses. */
  async function hammer(t: TestApp, path: string, token: string) {
    const pending: Promise<{ status: number; res: any }>[] = [];
    const started = Date.now();
    const every = 1000 / PER_APP_PER_SECOND;
    for (let i = 0; Date.now() - started < WINDOW_MS; i++) {
      pending.push(
        t.http
          .get(path)
          .set('Authorization', `Bearer ${token}`)
          .then((res) => ({ status: res.status, res })),
      );
      const next = started + (i + 1) * every;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    return Promise.all(pending);
  }

  it('two instances together let a 5/s supplier through at 5/s, and answer the rest 429 throttled with Retry-After', async () => {
    // A record on each instance for the limited supplier to read (created by ALL, not rate-limited).
    const paths: string[] = [];
    for (const t of [a, b]) {
      const made = await fhirClient(t, await t.tokenFor('ALL')).create(immunization());
      expect(made.status).toBe(201);
      paths.push(`/immunisation-fhir-api/FHIR/R4/Immunization/${idFromLocation(made.headers.location)}`);
    }
    const [ta, tb] = [await a.tokenFor('LIMITED'), await b.tokenFor('LIMITED')];
    const started = Date.now();
    const [ra, rb] = await Promise.all([hammer(a, paths[0], ta), hammer(b, paths[1], tb)]);
    const elapsedS = (Date.now() - started) / 1000;
    const all = [...ra, ...rb];
    const ok = all.filter((r) => r.status === 200).length;
    const throttled = all.filter((r) => r.status === 429);
    // Nothing but 200 and 429.
    expect(ok + throttled.length).toBe(all.length);
    // One shared bucket: burst + rate × elapsed (+1 for a refill landing at the edge). Two
    // per-process buckets would allow about twice this.
    const ceiling = RATE + Math.ceil(RATE * elapsedS) + 1;
    process.stdout.write(
      `shared rate limit: ${all.length} requests in ${elapsedS.toFixed(2)} s, ${ok} allowed (ceiling ${ceiling}), ${throttled.length} throttled\n`,
    );
    expect(ok).toBeLessThanOrEqual(ceiling);
    // And the limit is a rate, not a wall: at least the burst gets through (more is timing: a
    // loaded machine may serve the whole window's requests in a short stretch).
    expect(ok).toBeGreaterThanOrEqual(RATE);
    // Both instances refused some: the bucket is the same one.
    expect(ra.some((r) => r.status === 429) && rb.some((r) => r.status === 429)).toBe(true);
    for (const { res } of throttled.slice(0, 5)) {
      expectOutcome(res, 429, 'throttled', 'TOO-MANY-REQUESTS');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    const metrics = (await a.http.get('/metrics')).text;
    expect(metrics).toMatch(/rate_limit_decisions_total\{store="redis",outcome="throttled"\} [1-9]/);
    expect(metrics).not.toMatch(/rate_limit_redis_errors_total\{[^}]*\} [1-9]/);
  });

  it('keeps the bucket in Redis under the configured prefix, with an expiry', async () => {
    const r = new Redis(REDIS_URL);
    try {
      const ttl = await r.pttl(`${prefix}LIMITED`);
      // Either still there with a TTL of about capacity/rate + 1 s, or already expired.
      expect(ttl === -2 || (ttl > 0 && ttl <= 2000)).toBe(true);
      expect(await r.pttl(`${prefix}ALL`)).toBe(-2); // no limit configured: no bucket
    } finally {
      r.disconnect();
    }
  });

  describe('when Redis cannot be reached', () => {
    let down: TestApp;
    beforeAll(async () => {
      // Nothing listens on port 1: every check fails fast and the in-process bucket decides.
      down = await startTestApp({ suppliers, env: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_REDIS_PREFIX: prefix } });
    }, 180_000);
    afterAll(() => down?.close());

    it('falls back to the per-process bucket (still limited), counts it and warns', async () => {
      const made = await fhirClient(down, await down.tokenFor('ALL')).create(immunization());
      const path = `/immunisation-fhir-api/FHIR/R4/Immunization/${idFromLocation(made.headers.location)}`;
      const token = await down.tokenFor('LIMITED');
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 4 * RATE }, () => down.http.get(path).set('Authorization', `Bearer ${token}`)),
      );
      const elapsedS = (Date.now() - started) / 1000;
      const ok = results.filter((r) => r.status === 200).length;
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(ok).toBeLessThanOrEqual(RATE + Math.ceil(RATE * elapsedS) + 1);
      expect(ok).toBeLessThan(results.length);
      expect(results.filter((r) => r.status === 429).length).toBe(results.length - ok);
      expect(results.some((r) => r.status >= 500)).toBe(false);
      const metrics = (await down.http.get('/metrics')).text;
      expect(metrics).toMatch(/rate_limit_redis_errors_total\{reason="(unavailable|timeout)"\} [1-9]/);
      expect(metrics).toMatch(/rate_limit_decisions_total\{store="local",outcome="throttled"\} [1-9]/);
      expect(down.logger.entries.some((e) => e.level === 'warn' && e.msg.includes('Redis unavailable'))).toBe(true);
    });
  });
});
