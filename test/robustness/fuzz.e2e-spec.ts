import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BASE, FHIR_JSON, immunization } from '../support/immunization-fixture';
import { subscriptionBody } from '../notification/support/notification-client';
import { onPostgres, startTestApp, TestApp } from '../support/test-app';
import { fuzzRequests, FuzzRequest, FuzzWorld } from './support/fuzz-requests';
import { outcomeShapeProblems } from './support/outcome-shape';

/**
 * Property-based fuzzing of everything a client controls (issue 14): bodies (mutations of valid
 * payloads and random JSON), search parameters and forms, headers, path ids, token endpoint forms
 * and Subscription bodies, sent to a listening server on 127.0.0.1 over keep-alive connections.
 *
 * Invariants, for every request:
 *   - the answer is a 2xx, or a 4xx whose body is a contract-shaped OperationOutcome; never a 5xx;
 *   - it comes within a per-request timeout (no hang);
 *   - nothing is logged as an unhandled error or as a database refusal of a client value;
 * and at the end, every known record and subscription is exactly as the last successful answer
 * about it said (no change unless a response reported it).
 *
 * Reproduce a run: FUZZ_SEED=<the logged seed> [FUZZ_REQUESTS=n] npm test -- test/robustness/fuzz.
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const REQUESTS = Number(process.env.FUZZ_REQUESTS || 10000);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY || 6);
const REQUEST_TIMEOUT_MS = 15000;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

describe(`fuzzing every client input (seed ${SEED}, ${REQUESTS} requests, ${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  let agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  beforeAll(async () => {
    t = await startTestApp({ env: { SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*', NATS_URL: '', LOG_LEVEL: 'warn' } });
    for (const s of ['ALL', 'FLU_ONLY', 'READER', 'NO_GRANTS']) tokens[s] = await t.tokenFor(s);
    tokens.garbage = 'eyJhbGciOiJub25lIn0.e30.';
  }, 180000); // start-up alone can take a minute on a loaded CI machine
  afterAll(async () => {
    agent.destroy();
    await t?.close();
  });

  function send(r: Pick<FuzzRequest, 'method' | 'path' | 'headers' | 'body' | 'as'>): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...r.headers };
      if (r.as !== 'none') headers.Authorization = `Bearer ${tokens[r.as]}`;
      if (r.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(r.body));
      const req = request(`${t.url}${r.path}`, { method: r.method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms (hang)`)));
      req.on('error', reject);
      if (r.body !== undefined) req.write(r.body);
      req.end();
    });
  }

  const fhirJson = { 'Content-Type': FHIR_JSON, Prefer: 'return=representation' };

  it('answers every generated request with a 2xx or a contract-shaped 4xx, and changes nothing silently', async () => {
    process.stdout.write(`fuzz: seed ${SEED}, ${REQUESTS} requests (reproduce with FUZZ_SEED=${SEED})\n`);
    const started = Date.now();
    const cpu = process.cpuUsage();

    // The world: valid payloads to mutate, and known records/subscriptions to watch.
    const seedFixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/immunization.seed.json'), 'utf8'));
    const nationals = ['national-e2e-covid-create.json', 'national-e2e-flu-create.json', 'national-e2e-flu-update.json'].map((f) =>
      JSON.parse(readFileSync(join(__dirname, '../fixtures/validation', f), 'utf8')),
    );
    const known: FuzzWorld['knownRecords'] = [];
    const expected = new Map<string, { version: number; deleted: boolean; body: unknown }>();
    for (const type of ['FLU', 'COVID', 'MMR', 'FLU']) {
      const created = await send({
        method: 'POST',
        path: `${BASE}/Immunization`,
        as: 'ALL',
        headers: fhirJson,
        body: JSON.stringify(immunization({ vaccineType: type })),
      });
      expect(created.status).toBe(201);
      const body = JSON.parse(created.text);
      known.push({ id: body.id, body });
      expected.set(`record:${body.id}`, { version: 1, deleted: false, body });
    }
    const subs: FuzzWorld['knownSubscriptions'] = [];
    for (let i = 0; i < 2; i++) {
      const created = await send({
        method: 'POST',
        path: `${BASE}/Subscription`,
        as: 'ALL',
        headers: fhirJson,
        body: JSON.stringify(subscriptionBody(`http://127.0.0.1:9/hook-${i}`)),
      });
      expect(created.status).toBe(201);
      const body = JSON.parse(created.text);
      subs.push({ id: body.id, body });
      expected.set(`subscription:${body.id}`, { version: 1, deleted: false, body });
    }
    const world: FuzzWorld = {
      seeds: [seedFixture, ...nationals, immunization({ vaccineType: 'COVID' })],
      knownRecords: known,
      knownSubscriptions: subs,
      subscriptionSeed: subscriptionBody('http://127.0.0.1:9/hook'),
      tokenUrl: `${t.config.publicBaseUrl}/oauth2/token`,
    };

    const generated = fc.sample(fuzzRequests(world), { seed: SEED, numRuns: REQUESTS });
    // Generating takes seconds: the set-up's idle keep-alive sockets may be closing server-side
    // (HTTP_KEEP_ALIVE_TIMEOUT_MS) just as they would be reused. Start the run on fresh ones.
    agent.destroy();
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const failures: string[] = [];
    const byKind = new Map<string, { sent: number; statuses: Map<number, number> }>();
    const logMark = t.logger.entries.length;

    const check = (i: number, r: FuzzRequest, a: Answer | Error) => {
      const tally = byKind.get(r.kind) ?? { sent: 0, statuses: new Map() };
      byKind.set(r.kind, tally);
      tally.sent++;
      const describe = () =>
        `#${i} ${r.kind}: ${r.method} ${r.path.slice(0, 300)} as ${r.as} headers ${JSON.stringify(r.headers).slice(0, 300)} body ${String(r.body).slice(0, 300)}`;
      if (a instanceof Error) {
        failures.push(`${describe()} → ${a.message}`);
        return;
      }
      tally.statuses.set(a.status, (tally.statuses.get(a.status) ?? 0) + 1);
      if (a.status >= 500 || a.status < 200 || (a.status >= 300 && a.status < 400)) {
        failures.push(`${describe()} → ${a.status} ${a.text.slice(0, 300)}`);
        return;
      }
      if (a.status >= 400) {
        let problems: string[];
        try {
          problems = outcomeShapeProblems(JSON.parse(a.text));
        } catch {
          problems = ['body is not JSON'];
        }
        if (!String(a.headers['content-type']).startsWith('application/fhir+json'))
          problems.push(`content-type ${a.headers['content-type']}`);
        if (problems.length > 0)
          failures.push(`${describe()} → ${a.status} not an OperationOutcome: ${problems.join('; ')}: ${a.text.slice(0, 200)}`);
        return;
      }
      // A success about a watched record or subscription: that is now what it must look like.
      if (r.target) {
        const key = `${r.target.type}:${r.target.id}`;
        const exp = expected.get(key)!;
        if (r.method === 'DELETE') expected.set(key, { ...exp, deleted: true });
        else if (a.status === 200 || a.status === 201) {
          const body = a.text ? JSON.parse(a.text) : undefined;
          const version = Number(/^W\/"(\d+)"$/.exec(String(a.headers.etag))?.[1] ?? body?.meta?.versionId);
          if (version >= exp.version) expected.set(key, { version, deleted: false, body });
        }
      }
    };

    let next = 0;
    const worker = async () => {
      while (next < generated.length) {
        const i = next++;
        const r = generated[i];
        let a: Answer | Error;
        try {
          a = await send(r);
        } catch (e) {
          // Errors from Node's http module come from another realm than jest's: no instanceof Error.
          a = new Error(String((e as { message?: unknown })?.message ?? e));
        }
        check(i, r, a);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const fuzzMs = Date.now() - started;
    const used = process.cpuUsage(cpu);
    // Client and server share this process: CPU seconds are the load-independent measure.
    const cpuS = (used.user + used.system) / 1e6;

    // No silent change: each watched record/subscription reads back exactly as last reported.
    for (const [key, exp] of expected) {
      const [type, id] = key.split(':');
      const path = type === 'record' ? `${BASE}/Immunization/${id}` : `${BASE}/Subscription/${id}`;
      const a = await send({ method: 'GET', path, as: 'ALL', headers: {} });
      if (exp.deleted) {
        if (a.status !== 404 && a.status !== 410) failures.push(`${key} should be deleted, read gave ${a.status}`);
      } else if (a.status !== 200) failures.push(`${key} should be readable, read gave ${a.status}`);
      else {
        const body = JSON.parse(a.text);
        if (Number(body.meta?.versionId) !== exp.version)
          failures.push(`${key}: version ${body.meta?.versionId}, last reported ${exp.version}`);
        else if (exp.body !== undefined) expect(body).toEqual(exp.body);
      }
    }

    const logged = t.logger.entries.slice(logMark).filter((e) => e.level === 'error' || /validation gap/.test(e.msg));
    for (const e of logged.slice(0, 10)) failures.push(`logged: ${e.msg} ${JSON.stringify(e).slice(0, 400)}`);

    const summary = [...byKind]
      .sort((a, b) => b[1].sent - a[1].sent)
      .map(
        ([kind, s]) =>
          `  ${String(s.sent).padStart(5)}  ${kind}  ${[...s.statuses]
            .sort((a, b) => a[0] - b[0])
            .map(([st, n]) => `${st}×${n}`)
            .join(' ')}`,
      );
    process.stdout.write(
      `fuzz: ${generated.length} requests in ${fuzzMs} ms wall, ${cpuS.toFixed(1)} s CPU of this process (seed ${SEED}, ${onPostgres ? 'PostgreSQL' : 'PGlite'})\n${summary.join('\n')}\n`,
    );
    expect(generated.length).toBe(REQUESTS);
    expect(failures.slice(0, 25)).toEqual([]);
  }, 600000);
});
