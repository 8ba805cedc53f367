import { BASE } from '../support/immunization-fixture';
import { startTestApp, TestApp } from '../support/test-app';
import { client, EVENT, subscriptionBody } from './support/notification-client';

const code = (body: any) => body?.issue?.[0]?.details?.coding?.[0]?.code;
const diagnostics = (body: any) => (body?.issue ?? []).map((i: any) => i.diagnostics).join(' | ');

/** The Subscription resource API: ownership, versioning, criteria and channel checks, endpoint policy. */
describe('Subscription API', () => {
  let t: TestApp;
  let all: ReturnType<typeof client>;
  let flu: ReturnType<typeof client>;
  const hook = 'http://127.0.0.1:9/hook';

  beforeAll(async () => {
    // Relay off: these tests are about the resource, not delivery. No NATS_URL: message channels are refused.
    t = await startTestApp({ env: { SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*', NATS_URL: '' } });
    all = client(t, await t.tokenFor('ALL'));
    flu = client(t, await t.tokenFor('FLU_ONLY'));
  });
  afterAll(() => t?.close());

  it('creates, reads, lists, replaces and deletes a subscription; other suppliers see 404', async () => {
    const created = await all.postSub(subscriptionBody(hook, { header: ['Authorization: Bearer s3cret'] }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.headers.location).toBe(`${t.config.publicBaseUrl}${BASE}/Subscription/${id}`);
    expect(created.headers.etag).toBe('W/"1"');
    expect(created.body).toMatchObject({
      resourceType: 'Subscription',
      id,
      meta: { versionId: '1' },
      status: 'active',
      criteria: `Immunization?eventType=${EVENT}`,
      channel: { type: 'rest-hook', endpoint: hook, payload: 'application/fhir+json', header: ['Authorization: Bearer s3cret'] },
    });

    const read = await all.getSub(id);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    // Someone else's subscription does not exist for you.
    expect((await flu.getSub(id)).status).toBe(404);
    expect((await flu.putSub(id, subscriptionBody(hook, { id }))).status).toBe(404);
    expect((await flu.deleteSub(id)).status).toBe(404);
    const fluList = await flu.listSubs();
    expect(fluList.status).toBe(200);
    expect(fluList.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0 });

    const list = await all.listSubs();
    expect(list.body.type).toBe('searchset');
    expect(list.body.entry.map((e: any) => e.resource.id)).toContain(id);
    expect(list.body.entry.find((e: any) => e.resource.id === id).fullUrl).toBe(`${t.config.publicBaseUrl}${BASE}/Subscription/${id}`);
    expect((await all.get(`${BASE}/Subscription?status=active`)).status).toBe(400);

    const replaced = await all.putSub(id, subscriptionBody(hook, { id, criteria: `eventType=${EVENT}&action=delete` }), {
      'If-Match': 'W/"1"',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.meta.versionId).toBe('2');
    expect(replaced.body.criteria).toBe(`eventType=${EVENT}&action=delete`);
    const stale = await all.putSub(id, subscriptionBody(hook, { id }), { 'If-Match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect((await all.putSub(id, subscriptionBody(hook, { id: 'another-id' }))).status).toBe(400);

    expect((await all.deleteSub(id)).status).toBe(204);
    expect((await all.getSub(id)).status).toBe(404);
    expect((await all.deleteSub(id)).status).toBe(404);
    expect((await all.getSub('not a valid id!')).status).toBe(400);
  });

  it.each([
    ['', 'criteria is required'],
    ['Immunization?action=create', 'must include eventType'],
    ['eventType=something-else-1', 'eventType must be imms-vaccination-record-change-1'],
    ['Patient?eventType=imms-vaccination-record-change-1', 'must be about Immunization'],
    [`eventType=${EVENT}&colour=blue`, 'parameter "colour" is not supported'],
    [`eventType=${EVENT}&action=create&action=update`, 'action may be given only once'],
    [`eventType=${EVENT}&action=reinstate`, 'action must be create, update or delete'],
    [`eventType=${EVENT}&immunisationtype=NOTATYPE`, 'NOTATYPE is not a known vaccine type'],
    [`eventType=${EVENT}&subjectage=old`, 'subjectage must be a whole number'],
    [`eventType=${EVENT}&subjectage.lt=-1`, 'subjectage.lt must be a whole number'],
    [`eventType=${EVENT}&sourceorganisation=`, 'sourceorganisation has an empty value'],
    [`eventType=${EVENT}&sourceorganisation=NOT AN ODS`, 'is not an ODS code'],
  ])('refuses criteria %j with 400 INVALID naming the problem', async (criteria, problem) => {
    const res = await all.postSub(subscriptionBody(hook, { criteria }));
    expect(res.status).toBe(400);
    expect(code(res.body)).toBe('INVALID');
    expect(res.body.issue[0].expression).toEqual(['Subscription.criteria']);
    expect(diagnostics(res.body)).toContain(problem);
  });

  it('accepts every filter, with or without the Immunization? prefix', async () => {
    for (const criteria of [
      `eventType=${EVENT}`,
      `Immunization?eventType=${EVENT}&immunisationtype=FLU,MMR&action=create,update&sourceorganisation=B0C4P&sourceapplication=EMIS&subjectage=30`,
      `eventType=${EVENT}&subjectage.lt=18&subjectage.gt=5`,
    ]) {
      const res = await all.postSub(subscriptionBody(hook, { criteria }));
      expect(res.status).toBe(201);
      expect((await all.deleteSub(res.body.id)).status).toBe(204);
    }
  });

  it.each([
    ['channel.type websocket', { type: 'websocket' }, 'channel.type must be rest-hook or message'],
    ['a payload it cannot send', { payload: 'text/plain' }, 'channel.payload must be'],
    ['a Host header', { header: ['Host: evil.example'] }, 'sets Host'],
    ['a hop-by-hop header', { header: ['Transfer-Encoding: chunked'] }, 'sets Transfer-Encoding'],
    ['a Content-Length header', { header: ['content-length: 1'] }, 'sets content-length'],
    ['a header without a colon', { header: ['Authorization Bearer x'] }, 'must have the form "Name: value"'],
    ['a header smuggling a line break', { header: ['X-A: 1\r\nX-B: 2'] }, 'control characters'],
    ['a header name that is not a token', { header: ['X A: 1'] }, 'not an HTTP token'],
  ])('refuses %s with 400', async (_what, o, problem) => {
    const res = await all.postSub(subscriptionBody(hook, o as any));
    expect(res.status).toBe(400);
    expect(diagnostics(res.body)).toContain(problem);
  });

  it.each([
    ['an address outside the allow-list', 'http://93.184.216.34/hook', 'not allowed by SUBSCRIPTION_ENDPOINT_ALLOWLIST'],
    ['a private address', 'http://10.0.0.5/hook', 'not allowed by SUBSCRIPTION_ENDPOINT_ALLOWLIST'],
    ['a link-local (metadata) address', 'http://169.254.169.254/latest/meta-data', 'not allowed by SUBSCRIPTION_ENDPOINT_ALLOWLIST'],
    ['a non-http scheme', 'ftp://127.0.0.1/hook', 'must use http or https'],
    ['credentials in the URL', 'http://user:pw@127.0.0.1/hook', 'must not carry credentials'],
    ['a relative URL', '/hook', 'absolute http(s) URL'],
  ])('refuses %s as an endpoint with 400', async (_what, endpoint, problem) => {
    const res = await all.postSub(subscriptionBody(endpoint));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Subscription.channel.endpoint']);
    expect(diagnostics(res.body)).toContain(problem);
  });

  it('refuses a message channel when the server has no NATS_URL, and keeps serving', async () => {
    const res = await all.postSub(subscriptionBody('nats:imms.changes', { type: 'message' }));
    expect(res.status).toBe(400);
    expect(diagnostics(res.body)).toContain('NATS_URL');
    expect((await all.postSub(subscriptionBody(hook))).status).toBe(201);
  });

  it('refuses status error from a client, and a filter on a type the supplier may not read (403)', async () => {
    const error = await all.postSub(subscriptionBody(hook, { status: 'error' }));
    expect(error.status).toBe(400);
    expect(diagnostics(error.body)).toContain('status error is set by the server');
    const forbidden = await flu.postSub(subscriptionBody(hook, { criteria: `eventType=${EVENT}&immunisationtype=MMR` }));
    expect(forbidden.status).toBe(403);
    expect(code(forbidden.body)).toBe('FORBIDDEN');
    expect((await flu.postSub(subscriptionBody(hook, { criteria: `eventType=${EVENT}&immunisationtype=FLU` }))).status).toBe(201);
  });

  it('lists Subscription interactions in the CapabilityStatement', async () => {
    const res = await t.http.get(`${BASE}/metadata`);
    const sub = res.body.rest[0].resource.find((r: any) => r.type === 'Subscription');
    expect(sub.interaction.map((i: any) => i.code).sort()).toEqual(['create', 'delete', 'read', 'search-type', 'update']);
  });

  describe('when loopback is not listed as an address', () => {
    let strict: TestApp;
    let api: ReturnType<typeof client>;
    beforeAll(async () => {
      // The origin is named, but names do not vouch for what DNS answers: loopback must be listed as an address.
      strict = await startTestApp({ env: { SUBSCRIPTION_ENDPOINT_ALLOWLIST: 'http://localhost:8080,https://hooks.example.org' } });
      api = client(strict, await strict.tokenFor('ALL'));
    });
    afterAll(() => strict?.close());

    it.each([
      ['a host name that resolves to loopback', 'http://localhost:8080/hook', 'a special-purpose address (loopback)'],
      ['an IPv4-mapped IPv6 loopback address', 'http://[::ffff:127.0.0.1]:8080/hook', 'not allowed by SUBSCRIPTION_ENDPOINT_ALLOWLIST'],
      ['a loopback address', 'http://127.0.0.1:8080/hook', 'not allowed by SUBSCRIPTION_ENDPOINT_ALLOWLIST'],
    ])('refuses %s with 400', async (_what, endpoint, problem) => {
      const res = await api.postSub(subscriptionBody(endpoint));
      expect(res.status).toBe(400);
      expect(diagnostics(res.body)).toContain(problem);
    });
  });

  describe('with an empty allow-list', () => {
    let open: TestApp;
    let api: ReturnType<typeof client>;
    beforeAll(async () => {
      open = await startTestApp({ env: { SUBSCRIPTION_ENDPOINT_ALLOWLIST: '' } });
      api = client(open, await open.tokenFor('ALL'));
    });
    afterAll(() => open?.close());

    it.each([
      ['deprecated site-local IPv6', 'http://[fec0::1]/hook', 'site-local (deprecated)'],
      ['6to4 wrapping 127.0.0.1', 'http://[2002:7f00:1::]/hook', '6to4'],
      ['TEST-NET-1', 'http://192.0.2.1/hook', 'documentation (TEST-NET-1)'],
      ['Teredo', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook', 'IETF protocol assignments (incl. Teredo)'],
      ['NAT64 wrapping 10.0.0.1', 'http://[64:ff9b::a00:1]/hook', 'private'],
      ['IPv4-mapped loopback', 'http://[::ffff:7f00:1]/hook', 'loopback'],
    ])('refuses %s with 400', async (_what, endpoint, problem) => {
      const res = await api.postSub(subscriptionBody(endpoint));
      expect(res.status).toBe(400);
      expect(res.body.issue[0].expression).toEqual(['Subscription.channel.endpoint']);
      expect(diagnostics(res.body)).toContain(`a special-purpose address (${problem}`);
    });
  });
});
