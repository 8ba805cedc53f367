import { BASE, FHIR_JSON, immunization, nhsNumber } from '../support/immunization-fixture';
import { detailsCode, idFromLocation } from '../support/fhir-client';
import { startTestApp, TestApp } from '../support/test-app';

/** Three places where the service used to differ from docs/api.md, each pinned. */
describe('contract gaps', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = await t.tokenFor('ALL');
  });
  afterAll(() => t?.close());

  const post = (text: string) =>
    t.http.post(`${BASE}/Immunization`).set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).send(text);

  describe('/metadata content type (docs/api.md §2)', () => {
    it.each([
      ['no Accept', undefined, 'application/fhir+json'],
      ['Accept: application/fhir+json', 'application/fhir+json', 'application/fhir+json'],
      ['Accept: */*', '*/*', 'application/fhir+json'],
      ['Accept listing both', 'application/json, application/fhir+json', 'application/fhir+json'],
      ['Accept: application/json', 'application/json', 'application/json'],
    ])('%s → %s', async (_name, accept, expected) => {
      const req = t.http.get(`${BASE}/metadata`);
      if (accept) req.set('Accept', accept);
      const res = await req;
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(`${expected}; charset=utf-8`);
      expect(JSON.parse(res.text).resourceType).toBe('CapabilityStatement');
    });

    it('honours _format', async () => {
      const fhir = await t.http.get(`${BASE}/metadata?_format=application/fhir+json`).set('Accept', 'application/json');
      expect(fhir.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
      const plain = await t.http.get(`${BASE}/metadata?_format=application/json`);
      expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
    });
  });

  describe('doseNumberPositiveInt written as a decimal (docs/validation-rules.md §4)', () => {
    const withDose = (token: string) =>
      JSON.stringify(immunization()).replace(/"doseNumberPositiveInt":\s*\d+/, `"doseNumberPositiveInt": ${token}`);

    it.each(['1.0', '2.00', '1e0', '1E0'])('refuses %s with 400 INVARIANT naming the element', async (written) => {
      const text = withDose(written);
      expect(text).toContain(`"doseNumberPositiveInt": ${written}`);
      const res = await post(text);
      expect(res.status).toBe(400);
      expect(detailsCode(res.body)).toBe('INVARIANT');
      expect(res.body.issue).toContainEqual(
        expect.objectContaining({
          expression: ['Immunization.protocolApplied[0].doseNumberPositiveInt'],
          diagnostics: expect.stringMatching(/decimal/),
        }),
      );
    });

    it('accepts the same value written as an integer, and a decimal-looking text inside a string', async () => {
      expect((await post(withDose('1'))).status).toBe(201);
      const body = immunization();
      body.lotNumber = '"doseNumberPositiveInt": 1.0';
      expect((await post(JSON.stringify(body))).status).toBe(201);
    });
  });

  describe('identifier search holds Immunization entries only (docs/api.md §5)', () => {
    it('has no Patient entry, while a patient search of the same record has one', async () => {
      const nhs = nhsNumber();
      const body = immunization({ nhsNumber: nhs, vaccineType: 'FLU' });
      const created = await post(JSON.stringify(body));
      expect(created.status).toBe(201);
      const id = idFromLocation(created.headers.location);
      const { system, value } = body.identifier[0];

      const byIdentifier = await t.http
        .get(`${BASE}/Immunization`)
        .query({ identifier: `${system}|${value}`, _include: 'Immunization:patient' })
        .set('Authorization', `Bearer ${token}`);
      expect(byIdentifier.status).toBe(200);
      expect(byIdentifier.body.entry.map((e: any) => e.resource.resourceType)).toEqual(['Immunization']);
      expect(byIdentifier.body.entry[0].resource.id).toBe(id);

      const byPatient = await t.http
        .get(`${BASE}/Immunization`)
        .query({ 'patient.identifier': `https://fhir.nhs.uk/Id/nhs-number|${nhs}`, '-immunization.target': 'FLU' })
        .set('Authorization', `Bearer ${token}`);
      expect(byPatient.body.entry.map((e: any) => e.resource.resourceType)).toEqual(['Immunization', 'Patient']);
    });
  });
});
