import { BASE, FHIR_JSON, immunization } from '../support/immunization-fixture';
import { fhirClient, idFromLocation } from '../support/fhir-client';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * "Every error a client can cause gets a precise OperationOutcome, never a 500": odd ids, cursors,
 * dates and bodies on every route. Each answer must be a 4xx (or 2xx) and, when an error, an
 * OperationOutcome.
 */
describe('no client input yields a 500', () => {
  let t: TestApp;
  let token: string;
  let id: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = await t.tokenFor('ALL');
    id = idFromLocation((await fhirClient(t, token).create(immunization())).headers.location);
  });
  afterAll(() => t?.close());

  const big = '99999999999999999999';
  const cases: [string, string, string?, Record<string, string>?][] = [
    ['GET', `/Immunization/_history?_cursor=${big}.${big}`],
    ['GET', `/Immunization/_history?_cursor=1.${big}`],
    ['GET', `/Immunization/_history?_since=2024-13-45T99:99:99Z`],
    ['GET', `/Immunization/_history?_count=999999`],
    ['GET', `/Immunization/${'A'.repeat(64)}`],
    ['GET', `/Immunization/00000000-0000-0000-0000-00000000000G`],
    ['GET', `/Immunization/ID/_history/${big}`],
    ['GET', `/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&-immunization.target=FLU&_cursor=${big}`],
    ['GET', `/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&-immunization.target=FLU&_cursor=%E0%A4%A`],
    ['GET', `/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&-immunization.target=FLU&-date.from=2024-02-30`],
    ['GET', `/Immunization?patient.identifier=|&-immunization.target=`],
    ['GET', `/Immunization?identifier=${'x'.repeat(5000)}|${'y'.repeat(5000)}`],
    ['GET', `/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&target-disease=http://snomed.info/sct|${big}`],
    ['GET', `/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&-immunization.target=FLU&_count=${big}`],
    ['GET', `/Subscription/not-a-uuid`],
    ['GET', `/Subscription/${'A'.repeat(300)}`],
    ['DELETE', `/Subscription/00000000-0000-0000-0000-00000000000G`],
    ['PUT', `/Subscription/x`, '{"resourceType":"Subscription"}', { 'If-Match': `W/"${big}"` }],
    [
      'POST',
      `/Subscription`,
      '{"resourceType":"Subscription","status":"active","criteria":"eventType=imms-vaccination-record-change-1&subjectage.lt=' +
        big +
        '","channel":{"type":"rest-hook","endpoint":"https://example.org/hook","payload":"application/fhir+json"}}',
    ],
    ['POST', `/Subscription`, '[]'],
    ['POST', `/Immunization`, '"just a string"'],
    ['POST', `/Immunization`, '{"resourceType":"Immunization","contained":[null,1,"x",[]]}'],
    ['PUT', `/Immunization/ID`, '{"resourceType":"Immunization"}', { 'E-Tag': big }],
    ['PUT', `/Immunization/ID`, '{"resourceType":"Immunization"}', { 'If-Match': `W/"${big}"` }],
    ['POST', `/Immunization/_search`, `patient.identifier=${'%'.repeat(3)}&-immunization.target=FLU`],
    ['POST', `/Patient/$merge`, '[]'],
    [
      'POST',
      `/Patient/$merge`,
      '{"resourceType":"Parameters","parameter":[null,1,"x",{"name":"source-patient-identifier","valueIdentifier":null}]}',
    ],
  ];

  // One object per row: jest passes a `done` callback to a test function with more parameters than the row.
  const rows = cases.map(([method, path, body, headers]) => ({ name: `${method} ${path.slice(0, 80)}`, method, path, body, headers }));

  it.each(rows)('$name', async ({ method, path, body, headers }) => {
    const url = `${BASE}${path.replace('/ID', `/${id}`)}`;
    const send = (t.http as any)[method.toLowerCase()].bind(t.http);
    let req = send(url)
      .set('Authorization', `Bearer ${token}`)
      .set(headers ?? {});
    if (body !== undefined) {
      const form = path.endsWith('_search');
      req = req.set('Content-Type', form ? 'application/x-www-form-urlencoded' : FHIR_JSON).send(body);
    }
    const res = await req;
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
