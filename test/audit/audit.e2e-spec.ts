import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { AuditTrail } from '../../src/audit/audit-trail';
import { auditQuerySql } from '../../src/audit/audit-record';
import { parseAuditArgs } from '../../src/audit/audit-cli';
import { CLIENT_ASSERTION_TYPE } from '../../src/auth/token.service';
import { PROJECT_ROOT } from '../../src/config/app-config';
import { Database } from '../../src/database/database';
import { fhirClient, idFromLocation } from '../support/fhir-client';
import { BASE, FHIR_JSON, immunization, nhsNumber } from '../support/immunization-fixture';
import { SWC_REGISTER } from '../support/server-process';
import { onPostgres, startTestApp, TestApp } from '../support/test-app';
import { createDatabase } from '../support/test-database';
import { subscriptionBody } from '../notification/support/notification-client';

const run = promisify(execFile);

interface Row {
  at: Date;
  supplier: string | null;
  client_id: string | null;
  interaction: string;
  resource_type: string | null;
  resource_id: string | null;
  version: number | null;
  status: number;
  request_id: string | null;
  correlation_id: string | null;
}

describe('audit trail (one append-only record per interaction)', () => {
  let t: TestApp;
  let db: Database;
  const nhs = nhsNumber();
  const identifierValue = `audit-${randomUUID()}`;

  beforeAll(async () => {
    t = await startTestApp({ env: { SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*', AUDIT_FLUSH_MS: '50' } });
    db = t.app.get(Database);
  }, 180_000);
  afterAll(() => t?.close());

  const rowsFor = async (requestId: string) => {
    await t.app.get(AuditTrail).flush();
    return (await db.query<Row>('SELECT * FROM audit_event WHERE request_id = $1', [requestId])).rows;
  };

  it('each interaction leaves exactly one row with who, what, which resource and version, outcome and ids', async () => {
    const all = await t.tokenFor('ALL');
    const flu = await t.tokenFor('FLU_ONLY');
    const allClient = t.suppliers.find((s) => s.name === 'ALL')!.clientId;
    const h = (token: string | null, id: string) => {
      const headers: Record<string, string> = { 'X-Request-ID': id, 'X-Correlation-ID': `corr-${id}`, 'Content-Type': FHIR_JSON };
      if (token) headers.Authorization = `Bearer ${token}`;
      return headers;
    };
    const body = immunization({ vaccineType: 'MMR', nhsNumber: nhs, identifierValue });
    const step = async (name: string, send: (rid: string) => Promise<{ status: number }>, want: Partial<Row>) => {
      const rid = `${name}-${randomUUID()}`;
      const res = await send(rid);
      const rows = await rowsFor(rid);
      expect({ name, count: rows.length }).toEqual({ name, count: 1 });
      expect({ name, ...rows[0] }).toMatchObject({ name, status: res.status, request_id: rid, correlation_id: `corr-${rid}`, ...want });
      expect(Math.abs(new Date(rows[0].at).getTime() - Date.now())).toBeLessThan(60_000);
      return res as any;
    };
    const who = { supplier: 'ALL', client_id: allClient };

    const created = await step('create', (rid) => t.http.post(`${BASE}/Immunization`).set(h(all, rid)).send(JSON.stringify(body)), {
      ...who,
      interaction: 'create',
      resource_type: 'Immunization',
      version: 1,
      status: 201,
    });
    const id = idFromLocation(created.headers.location);
    expect((await rowsFor(created.headers['x-request-id']))[0].resource_id).toBe(id);
    const path = `${BASE}/Immunization/${id}`;
    await step('read', (rid) => t.http.get(path).set(h(all, rid)), {
      ...who,
      interaction: 'read',
      resource_type: 'Immunization',
      resource_id: id,
      version: 1,
      status: 200,
    });
    await step(
      'update',
      (rid) =>
        t.http
          .put(path)
          .set({ ...h(all, rid), 'E-Tag': '1' })
          .send(JSON.stringify({ ...body, id })),
      {
        ...who,
        interaction: 'update',
        resource_id: id,
        version: 2,
        status: 200,
      },
    );
    await step('vread', (rid) => t.http.get(`${path}/_history/1`).set(h(all, rid)), {
      ...who,
      interaction: 'vread',
      resource_id: id,
      version: 1,
      status: 200,
    });
    await step('history', (rid) => t.http.get(`${path}/_history`).set(h(all, rid)), {
      ...who,
      interaction: 'history-instance',
      resource_id: id,
      status: 200,
    });
    await step(
      'search',
      (rid) =>
        t.http
          .get(`${BASE}/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}&-immunization.target=MMR`)
          .set(h(all, rid)),
      {
        ...who,
        interaction: 'search-type',
        resource_type: 'Immunization',
        resource_id: null,
        version: null,
        status: 200,
      },
    );
    await step(
      'search-post',
      (rid) =>
        t.http
          .post(`${BASE}/Immunization/_search`)
          .set({ ...h(all, rid), 'Content-Type': 'application/x-www-form-urlencoded' })
          .send(`patient.identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhs}`)}&-immunization.target=MMR`),
      {
        ...who,
        interaction: 'search-type',
        resource_id: null,
        status: 200,
      },
    );
    await step(
      'identifier-search',
      (rid) => t.http.get(`${BASE}/Immunization?identifier=https://supplierABC/identifiers/vacc|${identifierValue}`).set(h(all, rid)),
      {
        ...who,
        interaction: 'search-type',
        resource_id: null,
        status: 200,
      },
    );
    await step('feed', (rid) => t.http.get(`${BASE}/Immunization/_history?_count=5`).set(h(all, rid)), {
      ...who,
      interaction: 'history-type',
      resource_id: null,
      status: 200,
    });
    // Refused ones are audited too: another supplier's vaccine type, no token, a bad token.
    await step('forbidden', (rid) => t.http.get(path).set(h(flu, rid)), {
      supplier: 'FLU_ONLY',
      interaction: 'read',
      resource_id: id,
      version: null,
      status: 403,
    });
    await step('no-token', (rid) => t.http.get(path).set(h(null, rid)), {
      supplier: null,
      client_id: null,
      interaction: 'read',
      resource_id: id,
      status: 401,
    });
    await step('bad-token', (rid) => t.http.get(path).set(h('x.y.z', rid)), { supplier: null, interaction: 'read', status: 401 });
    await step('delete', (rid) => t.http.delete(path).set(h(all, rid)), { ...who, interaction: 'delete', resource_id: id, status: 204 });

    // Subscriptions.
    const sub = await step(
      'sub-create',
      (rid) =>
        t.http
          .post(`${BASE}/Subscription`)
          .set({ ...h(all, rid), Prefer: 'return=representation' })
          .send(JSON.stringify(subscriptionBody('http://127.0.0.1:9/hook'))),
      {
        ...who,
        interaction: 'create',
        resource_type: 'Subscription',
        status: 201,
      },
    );
    const subId = sub.body.id as string;
    expect((await rowsFor(sub.headers['x-request-id']))[0].resource_id).toBe(subId);
    await step('sub-read', (rid) => t.http.get(`${BASE}/Subscription/${subId}`).set(h(all, rid)), {
      ...who,
      interaction: 'read',
      resource_type: 'Subscription',
      resource_id: subId,
      status: 200,
    });
    await step('sub-search', (rid) => t.http.get(`${BASE}/Subscription`).set(h(all, rid)), {
      ...who,
      interaction: 'search-type',
      resource_type: 'Subscription',
      status: 200,
    });
    await step('sub-delete', (rid) => t.http.delete(`${BASE}/Subscription/${subId}`).set(h(all, rid)), {
      ...who,
      interaction: 'delete',
      resource_id: subId,
      status: 204,
    });

    // The token endpoint: the client once its assertion verified, nobody when it did not.
    const s = t.suppliers.find((x) => x.name === 'ALL')!;
    const tokenUrl = `${t.config.publicBaseUrl}/oauth2/token`;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS512', kid: s.keys[0].kid })
      .setIssuer(s.clientId)
      .setSubject(s.clientId)
      .setAudience(tokenUrl)
      .setIssuedAt()
      .setExpirationTime('4m')
      .setJti(randomUUID())
      .sign(s.keys[0].privateKey);
    const form = (a: string) =>
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: a,
      }).toString();
    await step(
      'token',
      (rid) =>
        t.http
          .post('/oauth2/token')
          .set({ 'X-Request-ID': rid, 'X-Correlation-ID': `corr-${rid}` })
          .type('form')
          .send(form(assertion)),
      {
        ...who,
        interaction: 'token',
        resource_type: null,
        resource_id: null,
        status: 200,
      },
    );
    await step(
      'token-replay',
      (rid) =>
        t.http
          .post('/oauth2/token')
          .set({ 'X-Request-ID': rid, 'X-Correlation-ID': `corr-${rid}` })
          .type('form')
          .send(form(assertion)),
      {
        supplier: null,
        client_id: null,
        interaction: 'token',
        status: 401,
      },
    );
  });

  it('never stores a body, a query string or an NHS number', async () => {
    await t.app.get(AuditTrail).flush();
    const { rows } = await db.query<{ t: string }>('SELECT audit_event::text AS t FROM audit_event');
    expect(rows.length).toBeGreaterThan(10);
    const everything = rows.map((r) => r.t).join('\n');
    expect(everything).not.toContain(nhs);
    expect(everything).not.toContain(identifierValue);
    expect(everything).not.toMatch(/patient\.identifier|nhs-number|OAKLEY|client_assertion|Bearer|eyJ/);
  });

  it('does not audit health or metrics, nor let a hostile path id into the table', async () => {
    await t.http.get('/health/live');
    const token = await t.tokenFor('ALL');
    const rid = `odd-${randomUUID()}`;
    await t.http.get(`${BASE}/Immunization/${'x'.repeat(300)}`).set({ Authorization: `Bearer ${token}`, 'X-Request-ID': rid });
    const rows = await rowsFor(rid);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ interaction: 'read', resource_id: null });
    await t.app.get(AuditTrail).flush();
    const { rows: health } = await db.query(
      "SELECT 1 FROM audit_event WHERE interaction NOT IN ('read','vread','update','delete','create','search-type','history-instance','history-type','token')",
    );
    expect(health).toHaveLength(0);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on audit_event', async () => {
    await t.app.get(AuditTrail).flush();
    const before = (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_event')).rows[0].n;
    await expect(db.query("UPDATE audit_event SET supplier = 'SOMEONE'")).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_event')).rejects.toThrow(/append-only/);
    await expect(db.query('TRUNCATE audit_event')).rejects.toThrow(/append-only/);
    expect((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_event')).rows[0].n).toBe(before);
  });

  it('filters by time, supplier, interaction and limit (the SQL the CLI runs)', async () => {
    const all = fhirClient(t, await t.tokenFor('ALL'));
    const flu = fhirClient(t, await t.tokenFor('FLU_ONLY'));
    const since = new Date(Date.now() - 1);
    const made = await flu.create(immunization({ vaccineType: 'FLU' }));
    const id = idFromLocation(made.headers.location);
    await flu.read(id);
    await flu.read(id);
    await all.read(id);
    await t.app.get(AuditTrail).flush();
    const query = async (args: string[]) => {
      const { text, params } = auditQuerySql(parseAuditArgs(args));
      return (await db.query<Row>(text, params)).rows;
    };
    const iso = since.toISOString();
    expect((await query(['--since', iso, '--supplier', 'FLU_ONLY'])).map((r) => r.interaction)).toEqual(['create', 'read', 'read']);
    expect((await query(['--since', iso, '--supplier', 'FLU_ONLY', '--interaction', 'read'])).map((r) => r.interaction)).toEqual([
      'read',
      'read',
    ]);
    expect(await query(['--since', iso, '--supplier', 'FLU_ONLY', '--interaction', 'read,create', '--limit', '1'])).toHaveLength(1);
    expect((await query(['--since', iso, '--supplier', 'ALL'])).map((r) => [r.interaction, r.resource_id])).toEqual([['read', id]]);
    expect(await query(['--since', new Date(Date.now() + 60_000).toISOString()])).toHaveLength(0);
    expect(await query(['--since', iso, '--until', iso])).toHaveLength(0);
  });

  it('refuses bad CLI arguments with one line', () => {
    expect(() => parseAuditArgs([])).toThrow('--since is required');
    expect(() => parseAuditArgs(['--since', 'yesterday'])).toThrow('--since must be an ISO 8601');
    expect(() => parseAuditArgs(['--since', '2026-01-01', '--limit', '0'])).toThrow('--limit');
    expect(() => parseAuditArgs(['--since', '2026-01-01', '--drop', 'x'])).toThrow('unknown argument --drop');
    expect(() => parseAuditArgs(['--since', '2026-01-01', '--supplier'])).toThrow('--supplier needs a value');
  });
});

describe('npm run -s audit (the CLI against a database a stopped server left)', () => {
  let dir: string;
  let db: { url: string; drop: () => Promise<void> } | null = null;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imms-audit-'));
    if (onPostgres) db = await createDatabase('imms_audit');
    env = { DATABASE_URL: db?.url ?? '', DATA_DIR: dir };
  }, 180_000);
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the records as JSON lines, filtered, including the ones written at shutdown', async () => {
    const since = new Date().toISOString();
    // A long flush interval: what the requests leave is written by the shutdown flush.
    const t = await startTestApp({ databaseUrl: env.DATABASE_URL || null, env: { DATA_DIR: dir, AUDIT_FLUSH_MS: '10000' } });
    const flu = fhirClient(t, await t.tokenFor('FLU_ONLY'));
    const made = await flu.create(immunization({ vaccineType: 'FLU' }));
    const id = idFromLocation(made.headers.location);
    await flu.read(id);
    await fhirClient(t, await t.tokenFor('ALL')).read(id);
    await t.close();

    const cli = (args: string[]) =>
      run(process.execPath, ['-r', SWC_REGISTER, join(PROJECT_ROOT, 'src/audit/audit-cli.ts'), ...args], {
        env: { ...process.env, ...env, LOG_LEVEL: 'silent', PGLITE_TEMPLATE: process.env.PGLITE_TEMPLATE ?? '' },
        timeout: 60_000,
      });
    const lines = (out: string) =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    const flus = lines((await cli(['--since', since, '--supplier', 'FLU_ONLY'])).stdout);
    expect(flus.map((r) => [r.supplier, r.interaction, r.resourceType, r.resourceId, r.version, r.status])).toEqual([
      ['FLU_ONLY', 'create', 'Immunization', id, 1, 201],
      ['FLU_ONLY', 'read', 'Immunization', id, 1, 200],
    ]);
    expect(flus[0]).toEqual({
      id: expect.any(String),
      at: expect.stringMatching(/Z$/),
      supplier: 'FLU_ONLY',
      clientId: 'flu_only-client',
      interaction: 'create',
      resourceType: 'Immunization',
      resourceId: id,
      version: 1,
      status: 201,
      requestId: expect.any(String),
      correlationId: null,
    });
    expect(
      lines((await cli(['--since', since, '--interaction', 'read', '--limit', '5'])).stdout)
        .map((r) => r.supplier)
        .sort(),
    ).toEqual(['ALL', 'FLU_ONLY']);
    await expect(cli(['--since', 'soon'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--since must be an ISO 8601'),
    });
  }, 180_000);
});
