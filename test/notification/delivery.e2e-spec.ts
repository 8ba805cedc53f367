import { randomUUID } from 'node:crypto';
import { AckPolicy, connect, DeliverPolicy, NatsConnection } from 'nats';
import { Database } from '../../src/database/database';
import { BASE, immunization, nhsNumber } from '../support/immunization-fixture';
import { startTestApp, TestApp } from '../support/test-app';
import {
  client,
  eventNumberOf,
  EVENT,
  focusOf,
  subjectOf,
  subscriptionBody,
  subscriptionOf,
  versionOf,
} from './support/notification-client';
import { eventually, Receiver } from './support/receiver';
import { signalValidator } from './support/signal-schema';

const NATS_URL = process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222';
const MAX_ATTEMPTS = 4;
const validateSignal = signalValidator();
const year = new Date().getUTCFullYear();

/** A valid record with the facts the filters look at. */
function record(o: { type?: string; org?: string; age?: number; nhs?: string | null } = {}) {
  const body = immunization({
    vaccineType: o.type ?? 'FLU',
    nhsNumber: o.nhs === undefined ? nhsNumber() : o.nhs,
    occurrenceDateTime: `${year}-01-01T10:00:00+00:00`,
  });
  if (o.org) body.performer[1].actor.identifier.value = o.org;
  // Born on 1 January: the age in whole years is the same all year.
  body.contained[1].birthDate = `${year - (o.age ?? 30)}-01-01`;
  return body;
}

/**
 * Delivery end to end: the real app with its relay, a real HTTP receiver on 127.0.0.1, the real
 * database (PostgreSQL with TEST_DATABASE_URL, else PGlite) and NATS JetStream at 127.0.0.1:4222.
 */
describe('notification delivery', () => {
  let t: TestApp;
  let rx: Receiver;
  let all: ReturnType<typeof client>;
  let base: string;

  beforeAll(async () => {
    rx = await new Receiver().start();
    t = await startTestApp({
      env: {
        NOTIFICATION_RELAY_ENABLED: 'true',
        SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*',
        NOTIFICATION_POLL_MS: '50',
        NOTIFICATION_RETRY_BASE_MS: '20',
        NOTIFICATION_RETRY_MAX_MS: '200',
        NOTIFICATION_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        NATS_URL,
      },
    });
    all = client(t, await t.tokenFor('ALL'));
    base = `${t.config.publicBaseUrl}${BASE}`;
  });
  afterAll(async () => {
    await t?.close();
    await rx?.stop();
  });

  it('sends exactly one signal per create, update and delete, in order, valid against the seed schema, with the channel headers', async () => {
    const sub = await all.subscribe(
      subscriptionBody(rx.endpoint('basic'), { header: ['Authorization: Bearer abc123', 'X-Subscriber-Ref: basic'] }),
    );
    const nhs = nhsNumber();
    const body = record({ nhs });
    const a = await all.createImms(body);
    const v2 = await all.updateImms(a.id, body, a.version);
    await all.deleteImms(a.id);
    await all.createImms(record({ nhs: null })); // no NHS number: no event
    const b = await all.createImms(record());

    await eventually(() => rx.got('basic').length >= 4, 15_000, 'four signals');
    await new Promise((r) => setTimeout(r, 300));
    const got = rx.got('basic');
    expect(got).toHaveLength(4);
    for (const g of got) {
      expect(validateSignal(g.body)).toBeNull();
      expect(g.headers['content-type']).toBe('application/fhir+json');
      expect(g.headers.authorization).toBe('Bearer abc123');
      expect(g.headers['x-subscriber-ref']).toBe('basic');
      expect(subscriptionOf(g.body)).toBe(`${base}/Subscription/${sub}`);
      expect(g.body.entry[0].resource.parameter.find((p: any) => p.name === 'additional-context').part[0].valueString).toBe(EVENT);
    }
    expect(got.map((g) => [eventNumberOf(g.body), focusOf(g.body), versionOf(g.body)])).toEqual([
      [1, `${base}/Immunization/${a.id}`, '1'],
      [2, `${base}/Immunization/${a.id}`, String(v2)],
      [3, `${base}/Immunization/${a.id}`, String(v2)], // the delete keeps the version number
      [4, `${base}/Immunization/${b.id}`, '1'],
    ]);
    expect(subjectOf(got[0].body)).toBe(nhs);
    expect(new Set(got.map((g) => g.body.id)).size).toBe(4);
    await all.deleteSub(sub);
  });

  it('honours every filter, and the subscriber’s read permissions', async () => {
    const fluOnly = client(t, await t.tokenFor('FLU_ONLY'));
    const q = (f: string) => `Immunization?eventType=${EVENT}${f}`;
    const subs: [string, ReturnType<typeof client>, string][] = [
      ['type-mmr', all, q('&immunisationtype=MMR')],
      ['action-delete', all, q('&action=delete')],
      ['action-update', all, q('&action=update')],
      ['org', all, q('&sourceorganisation=A1B2C')],
      ['app', all, q('&sourceapplication=FLU_ONLY')],
      ['age-30', all, q('&subjectage=30')],
      ['age-lt-18', all, q('&subjectage.lt=18')],
      ['age-gt-64', all, q('&subjectage.gt=64')],
      ['combined', all, q('&immunisationtype=FLU&action=create&subjectage.gt=18')],
      ['everything', all, q('')],
      ['flu-reader', fluOnly, q('')], // FLU_ONLY may read FLU only: no MMR signals whatever the criteria
    ];
    const ids: string[] = [];
    for (const [name, api, criteria] of subs) ids.push(await api.subscribe(subscriptionBody(rx.endpoint(name), { criteria })));

    const r1 = await all.createImms(record({ type: 'FLU', age: 30 }));
    const mmr = record({ type: 'MMR', org: 'A1B2C', age: 10 });
    const r2 = await all.createImms(mmr);
    await all.updateImms(r2.id, mmr, r2.version);
    await all.deleteImms(r2.id);
    const r3 = await fluOnly.createImms(record({ type: 'FLU', age: 70 }));

    const expected: Record<string, string[]> = {
      'type-mmr': [`${r2.id} 1`, `${r2.id} 2`, `${r2.id} 2`],
      'action-delete': [`${r2.id} 2`],
      'action-update': [`${r2.id} 2`],
      org: [`${r2.id} 1`, `${r2.id} 2`, `${r2.id} 2`],
      app: [`${r3.id} 1`],
      'age-30': [`${r1.id} 1`],
      'age-lt-18': [`${r2.id} 1`, `${r2.id} 2`, `${r2.id} 2`],
      'age-gt-64': [`${r3.id} 1`],
      combined: [`${r1.id} 1`, `${r3.id} 1`],
      everything: [`${r1.id} 1`, `${r2.id} 1`, `${r2.id} 2`, `${r2.id} 2`, `${r3.id} 1`],
      'flu-reader': [`${r1.id} 1`, `${r3.id} 1`],
    };
    await eventually(
      () => Object.entries(expected).every(([name, want]) => rx.got(name).length >= want.length),
      15_000,
      'filtered signals',
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const [name, want] of Object.entries(expected)) {
      const got = rx.got(name).map((g) => g.body);
      expect([name, got.map((s) => `${focusOf(s).split('/').pop()} ${versionOf(s)}`)]).toEqual([name, want]);
      expect([name, got.map(eventNumberOf)]).toEqual([name, want.map((_, i) => i + 1)]);
      for (const s of got) expect(validateSignal(s)).toBeNull();
    }
    // The delete and the update of r2 are told apart by action (same version number).
    for (const [i, id] of ids.entries()) await subs[i][1].deleteSub(id);
  });

  it('a receiver failing its first deliveries still gets every event, in order, and every attempt is recorded', async () => {
    const sub = await all.subscribe(subscriptionBody(rx.endpoint('flaky', { failFirst: MAX_ATTEMPTS - 1 })));
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await all.createImms(record())).id);
    await eventually(() => rx.got('flaky').length >= 5, 15_000, 'five signals after the failures');
    expect(rx.got('flaky').map((g) => [eventNumberOf(g.body), focusOf(g.body).split('/').pop()])).toEqual(made.map((id, i) => [i + 1, id]));
    // The first event was tried MAX_ATTEMPTS - 1 times in vain, always with the same event-number.
    expect(
      rx
        .tried('flaky')
        .slice(0, MAX_ATTEMPTS)
        .map((g) => eventNumberOf(g.body)),
    ).toEqual(new Array(MAX_ATTEMPTS).fill(1));

    // Attempts are recorded behind the deliveries: wait until the last one is written, then compare all.
    const attempts = () =>
      t.app
        .get(Database)
        .query<{ event_number: string; outcome: string; status_code: number | null; error: string | null; duration_ms: number }>(
          'SELECT event_number::text, outcome, status_code, error, duration_ms FROM notification_attempt WHERE subscription_id = $1 ORDER BY id',
          [sub],
        );
    const expectedAttempts = MAX_ATTEMPTS - 1 + made.length;
    await eventually(async () => (await attempts()).rows.length >= expectedAttempts, 15_000, 'every attempt recorded');
    const { rows } = await attempts();
    expect(rows.map((r) => [r.event_number, r.outcome, r.status_code])).toEqual([
      ...new Array(MAX_ATTEMPTS - 1).fill(['1', 'failed', 503]),
      ...made.map((_, i) => [String(i + 1), 'delivered', 200]),
    ]);
    expect(rows[0].error).toContain('HTTP 503');
    expect(rows.every((r) => r.duration_ms >= 0)).toBe(true);
    const metrics = (await t.http.get('/metrics')).text;
    expect(metrics).toMatch(/notification_deliveries_total\{channel="rest-hook",outcome="delivered"\} \d+/);
    expect(metrics).toMatch(/notification_delivery_failures_total\{channel="rest-hook",reason="http_status"\} \d+/);
    expect(metrics).toMatch(/notification_retry_backlog \d+/);
    expect(metrics).toMatch(/notification_oldest_undelivered_age_seconds [\d.e+-]+/);
    await all.deleteSub(sub);
  });

  it('after NOTIFICATION_MAX_ATTEMPTS failures the subscription shows error; PUT active resumes where it stopped', async () => {
    const endpoint = rx.endpoint('down', { alwaysStatus: 500 });
    const sub = await all.subscribe(subscriptionBody(endpoint));
    const first = await all.createImms(record());
    const second = await all.createImms(record());

    let shown: any;
    await eventually(async () => (shown = (await all.getSub(sub)).body).status === 'error', 15_000, 'status error');
    expect(shown.error).toContain('event-number 1');
    expect(shown.error).toContain(`${MAX_ATTEMPTS} times`);
    expect(shown.error).toContain('HTTP 500');
    // Only the status and a fixed reason: nothing the endpoint answered is echoed back.
    expect(shown.error).not.toContain('receiver says no');
    expect(rx.tried('down')).toHaveLength(MAX_ATTEMPTS);
    const metrics = (await t.http.get('/metrics')).text;
    expect(Number(/notification_oldest_undelivered_age_seconds ([\d.e+-]+)/.exec(metrics)![1])).toBeGreaterThan(0);

    // Nothing more is tried while in error, even as changes keep coming.
    const third = await all.createImms(record());
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.tried('down')).toHaveLength(MAX_ATTEMPTS);

    rx.behave('down', {});
    const resumed = await all.putSub(sub, { ...shown, status: 'active' });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('active');
    expect(resumed.body.error).toBeUndefined();
    await eventually(() => rx.got('down').length >= 3, 15_000, 'the three signals after resuming');
    expect(rx.got('down').map((g) => [eventNumberOf(g.body), focusOf(g.body).split('/').pop()])).toEqual([
      [1, first.id],
      [2, second.id],
      [3, third.id],
    ]);
    await all.deleteSub(sub);
  });

  it('sends the CloudEvents payload when asked', async () => {
    const sub = await all.subscribe(subscriptionBody(rx.endpoint('ce'), { payload: 'application/cloudevents+json' }));
    const nhs = nhsNumber();
    const r = await all.createImms(record({ nhs, type: 'MMR', org: 'Q1W2E', age: 12 }));
    await all.deleteImms(r.id);
    await eventually(() => rx.got('ce').length >= 2, 15_000, 'two cloud events');
    const [created, deleted] = rx.got('ce');
    expect(created.headers['content-type']).toBe('application/cloudevents+json');
    expect(created.body).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      type: EVENT,
      source: expect.any(String),
      subject: nhs,
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      dataref: `${base}/Immunization/${r.id}`,
      sequence: '1',
      subscription: `${base}/Subscription/${sub}`,
      versionid: '1',
      filtering: { sourceorganisation: 'Q1W2E', sourceapplication: 'ALL', subjectage: '12', immunisationtype: 'MMR', action: 'create' },
    });
    expect(deleted.body).toMatchObject({ sequence: '2', filtering: { action: 'delete' } });
    expect(deleted.body.id).not.toBe(created.body.id);
    await all.deleteSub(sub);
  });

  it('publishes the same signals to a NATS JetStream subject, where a consumer reads them', async () => {
    const subject = `imms.test.${randomUUID().slice(0, 8)}`;
    const sub = await all.subscribe(subscriptionBody(`nats:${subject}`, { type: 'message', header: ['X-Subscriber-Ref: nats'] }));
    const r = await all.createImms(record());
    const body = record();
    const r2 = await all.createImms(body);
    await all.updateImms(r2.id, body, r2.version);

    const nc: NatsConnection = await connect({ servers: NATS_URL });
    const jsm = await nc.jetstreamManager();
    try {
      let stream = '';
      await eventually(async () => (stream = await jsm.streams.find(subject).catch(() => '')) !== '', 10_000, 'the stream');
      await eventually(async () => (await jsm.streams.info(stream)).state.messages >= 3, 15_000, 'three messages in the stream');
      const consumer = await nc
        .jetstream()
        .consumers.get(
          stream,
          (await jsm.consumers.add(stream, { ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: subject }))
            .name,
        );
      const msgs = await consumer.fetch({ max_messages: 10, expires: 2000 });
      const got: { signal: any; headers: Record<string, string> }[] = [];
      for await (const m of msgs) {
        got.push({
          signal: m.json(),
          headers: {
            msgId: m.headers?.get('Nats-Msg-Id') ?? '',
            ct: m.headers?.get('Content-Type') ?? '',
            ref: m.headers?.get('X-Subscriber-Ref') ?? '',
          },
        });
        m.ack();
        if (got.length === 3) break;
      }
      expect(got.map((g) => [eventNumberOf(g.signal), focusOf(g.signal).split('/').pop(), versionOf(g.signal)])).toEqual([
        [1, r.id, '1'],
        [2, r2.id, '1'],
        [3, r2.id, '2'],
      ]);
      for (const [i, g] of got.entries()) {
        expect(validateSignal(g.signal)).toBeNull();
        expect(g.headers).toEqual({ msgId: `${sub}:${i + 1}`, ct: 'application/fhir+json', ref: 'nats' });
      }
      await all.deleteSub(sub);
      await jsm.streams.delete(stream);
    } finally {
      await nc.close();
    }
  });

  it('the outbox costs the write exactly one statement, and nothing without an NHS number', async () => {
    const statements = async (body: unknown) => {
      const requestId = randomUUID();
      const res = await t.http
        .post(`${BASE}/Immunization`)
        .set({ Authorization: `Bearer ${await t.tokenFor('ALL')}`, 'Content-Type': 'application/fhir+json', 'X-Request-ID': requestId })
        .send(JSON.stringify(body));
      expect(res.status).toBe(201);
      await eventually(() => t.logger.entries.some((e) => e.msg === 'request' && e.requestId === requestId), 5000, 'the request log line');
      return t.logger.entries.find((e) => e.msg === 'request' && e.requestId === requestId)!.sqlStatements as number;
    };
    const withNhs = await statements(record());
    const withoutNhs = await statements(record({ nhs: null }));
    expect(withNhs).toBe(withoutNhs + 1);
    expect(withNhs).toBeLessThanOrEqual(5);
  });
});
