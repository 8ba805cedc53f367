import flu from '../../../test/fixtures/batch/national-e2e-flu-create.json';
import fluUpdate from '../../../test/fixtures/batch/national-e2e-flu-update.json';
import covid from '../../../test/fixtures/batch/national-e2e-covid-create.json';
import { NATIONAL_FLU_FLAT } from '../../../test/fixtures/batch/flat-rows';
import { validateImmunization } from '../../immunization/validation/validate-immunization';
import { vaccineTypeOf } from '../../kernel/terminology';
import { fhirDateTimeToFlat, fhirToFlat } from './fhir-to-flat';
import { emptyFlat, FLAT_FIELDS, FlatRecord } from './flat-record';
import { flatDateTimeToFhir, flatToFhir } from './flat-to-fhir';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('flat record: FHIR → flat (delta export)', () => {
  const { record, errors } = fhirToFlat(clone(flu) as Record<string, unknown>, 'CREATE');

  it.each(FLAT_FIELDS.map((f) => [f, NATIONAL_FLU_FLAT[f]]))('national FLU create: %s = %j', (field, expected) => {
    expect(record[field as keyof FlatRecord]).toBe(expected);
  });

  it('has no conversion errors for the national payloads', () => {
    expect(errors).toEqual([]);
    expect(fhirToFlat(clone(covid) as Record<string, unknown>, 'CREATE').errors).toEqual([]);
  });

  it('ACTION_FLAG follows the operation', () => {
    expect(fhirToFlat(clone(fluUpdate) as Record<string, unknown>, 'UPDATE').record.ACTION_FLAG).toBe('UPDATE');
    expect(fhirToFlat(clone(flu) as Record<string, unknown>, 'DELETE').record.ACTION_FLAG).toBe('DELETE');
  });

  it.each([
    [
      'CodeableConcept.text first',
      {
        text: 'T',
        coding: [
          {
            system: 'http://snomed.info/sct',
            code: '1',
            display: 'D',
            extension: [{ url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-CodingSCTDescDisplay', valueString: 'E' }],
          },
        ],
      },
      'T',
    ],
    [
      'then the SCTDescDisplay extension',
      {
        coding: [
          {
            system: 'http://snomed.info/sct',
            code: '1',
            display: 'D',
            extension: [{ url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-CodingSCTDescDisplay', valueString: 'E' }],
          },
        ],
      },
      'E',
    ],
    [
      'then the SNOMED display',
      {
        coding: [
          { system: 'http://other', code: '9', display: 'X' },
          { system: 'http://snomed.info/sct', code: '1', display: 'D' },
        ],
      },
      'D',
    ],
  ])('a term prefers %s', (_what, concept, term) => {
    const r = clone(flu) as Record<string, unknown>;
    r.site = concept;
    const flat = fhirToFlat(r, 'CREATE').record;
    expect(flat.SITE_OF_VACCINATION_TERM).toBe(term);
    expect(flat.SITE_OF_VACCINATION_CODE).toBe('1');
  });

  it.each([
    ['2025-11-06T21:07:56.947+00:00', '20251106T21075600'],
    ['2025-06-06T09:05:01+01:00', '20250606T09050101'],
    ['2025-06-06T09:05:01Z', '20250606T09050100'],
    ['2025-06-06T09:05+01:00', '20250606T09050001'],
  ])('DATE_AND_TIME of %s is %s', (fhir, flat) => {
    expect(fhirDateTimeToFlat(fhir)).toEqual({ value: flat });
  });

  it('an offset other than +00:00/+01:00 cannot be written: empty field and a conversion error', () => {
    const r = clone(flu) as Record<string, unknown>;
    r.occurrenceDateTime = '2025-11-06T21:07:56+05:30';
    const out = fhirToFlat(r, 'CREATE');
    expect(out.record.DATE_AND_TIME).toBe('');
    expect(out.errors).toEqual([expect.stringContaining('+05:30')]);
  });

  it.each([
    ['male', '1'],
    ['female', '2'],
    ['other', '9'],
    ['unknown', '0'],
  ])('gender %s is %s', (gender, code) => {
    const r = clone(flu) as { contained: Record<string, unknown>[] };
    r.contained[1].gender = gender;
    expect(fhirToFlat(r as unknown as Record<string, unknown>, 'CREATE').record.PERSON_GENDER_CODE).toBe(code);
  });

  it('defaults: postcode ZZ99 3CZ and location X99999 when absent; DOSE_UNIT_CODE only for SNOMED units', () => {
    const r = clone(flu) as Record<string, unknown> & { contained: Record<string, unknown>[] };
    delete r.contained[1].address;
    delete r.location;
    r.doseQuantity = { value: 0.5, unit: 'ml', system: 'http://unitsofmeasure.org', code: 'ml' };
    const flat = fhirToFlat(r, 'CREATE').record;
    expect([flat.PERSON_POSTCODE, flat.LOCATION_CODE, flat.LOCATION_CODE_TYPE_URI]).toEqual([
      'ZZ99 3CZ',
      'X99999',
      'https://fhir.nhs.uk/Id/ods-organization-code',
    ]);
    expect([flat.DOSE_AMOUNT, flat.DOSE_UNIT_CODE, flat.DOSE_UNIT_TERM]).toEqual(['0.5', '', 'ml']);
  });

  it('the patient name is chosen like validation does: the current official name', () => {
    const r = clone(flu) as Record<string, unknown> & { contained: Record<string, unknown>[] };
    r.contained[1].name = [
      { use: 'usual', family: 'Nick', given: ['N'] },
      { use: 'official', family: 'Old', given: ['O'], period: { end: '2020-01-01' } },
      { use: 'official', family: 'Smith', given: ['Ann', 'Marie'] },
    ];
    const flat = fhirToFlat(r, 'CREATE').record;
    expect([flat.PERSON_FORENAME, flat.PERSON_SURNAME]).toEqual(['Ann Marie', 'Smith']);
  });
});

describe('flat record: flat → FHIR (ingestion)', () => {
  const resource = flatToFhir(NATIONAL_FLU_FLAT, 'FLU') as Record<string, any>;
  const patient = resource.contained.find((c: { resourceType: string }) => c.resourceType === 'Patient');
  const practitioner = resource.contained.find((c: { resourceType: string }) => c.resourceType === 'Practitioner');

  it('passes the API validation unchanged and is of the file vaccine type', () => {
    expect(validateImmunization(resource, { mode: 'create', now: new Date('2026-01-01T00:00:00Z') })).toEqual([]);
    expect(vaccineTypeOf(resource)).toBe('FLU');
  });

  it.each<[string, (r: Record<string, any>) => unknown, unknown]>([
    ['NHS_NUMBER', () => patient.identifier, [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '5994201928' }]],
    ['PERSON_FORENAME / SURNAME', () => patient.name, [{ family: 'OAKLEY', given: ['PHILLIPS'] }]],
    ['PERSON_DOB', () => patient.birthDate, '2009-09-23'],
    ['PERSON_GENDER_CODE', () => patient.gender, 'male'],
    ['PERSON_POSTCODE', () => patient.address, [{ postalCode: 'ZZ99 4QZ' }]],
    ['DATE_AND_TIME', (r) => r.occurrenceDateTime, '2025-11-06T21:07:56+00:00'],
    [
      'SITE_CODE / URI',
      (r) => r.performer[1].actor,
      { type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B0C4P' } },
    ],
    [
      'UNIQUE_ID / URI',
      (r) => r.identifier,
      [{ system: 'https://supplierABC/identifiers/vacc', value: 'a6432b6c-b6da-42b2-bcf0-73a00db69ea3' }],
    ],
    ['PERFORMING_PROFESSIONAL_*', () => practitioner.name, [{ family: 'Furlong', given: ['Darren'] }]],
    ['RECORDED_DATE', (r) => r.recorded, '2025-11-06'],
    ['PRIMARY_SOURCE', (r) => r.primarySource, true],
    [
      'VACCINATION_PROCEDURE_*',
      (r) => r.extension[0].valueCodeableConcept.coding[0],
      { system: 'http://snomed.info/sct', code: '884861000000100', display: 'Seasonal influenza vaccination' },
    ],
    ['DOSE_SEQUENCE', (r) => r.protocolApplied[0].doseNumberPositiveInt, 1],
    ['VACCINE_PRODUCT_*', (r) => r.vaccineCode.coding[0].code, '34680411000001107'],
    ['VACCINE_MANUFACTURER', (r) => r.manufacturer, { display: 'Sanofi Pasteur' }],
    ['BATCH_NUMBER', (r) => r.lotNumber, '794506'],
    ['EXPIRY_DATE', (r) => r.expirationDate, '2027-11-06'],
    [
      'SITE_OF_VACCINATION_*',
      (r) => r.site.coding[0],
      { system: 'http://snomed.info/sct', code: '368208006', display: 'Left upper arm structure (body structure)' },
    ],
    [
      'ROUTE_OF_VACCINATION_*',
      (r) => r.route.coding[0],
      { system: 'http://snomed.info/sct', code: '34206005', display: 'Subcutaneous route (qualifier value)' },
    ],
    [
      'DOSE_AMOUNT / UNIT',
      (r) => r.doseQuantity,
      { value: 0.3, unit: 'Inhalation - unit of product usage', system: 'http://snomed.info/sct', code: '2622896019' },
    ],
    ['INDICATION_CODE', (r) => r.reasonCode, [{ coding: [{ system: 'http://snomed.info/sct', code: '310578008' }] }]],
    ['LOCATION_CODE / URI', (r) => r.location, { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'X99999' } }],
    ['target disease from the vaccine type', (r) => r.protocolApplied[0].targetDisease[0].coding[0].code, '6142004'],
  ])('%s', (_field, pick, expected) => {
    expect(pick(resource)).toEqual(expected);
  });

  it('round trip: flat → FHIR → flat gives the same flat record', () => {
    expect(fhirToFlat(resource, 'CREATE').record).toEqual(NATIONAL_FLU_FLAT);
  });

  it.each([
    ['20250606T09050101', '2025-06-06T09:05:01+01:00'],
    ['20250606T09050100', '2025-06-06T09:05:01+00:00'],
    ['20250606', '2025-06-06'],
    ['20250606T09050102', '20250606T09050102'],
  ])('DATE_AND_TIME %s → %s (what cannot be converted is left for validation to report)', (flat, fhir) => {
    expect(flatDateTimeToFhir(flat)).toBe(fhir);
  });

  it('values that cannot be converted are passed on, so validation reports them', () => {
    const bad = flatToFhir(
      { ...NATIONAL_FLU_FLAT, PERSON_GENDER_CODE: '7', PRIMARY_SOURCE: 'maybe', DOSE_AMOUNT: 'lots', DATE_AND_TIME: '2025' },
      'FLU',
    );
    const issues = validateImmunization(bad, { mode: 'create' }).map((i) => i.expression);
    expect(issues).toEqual(expect.arrayContaining(['Immunization.primarySource', 'Immunization.occurrenceDateTime']));
    expect(issues.some((e) => e.includes('gender'))).toBe(true);
    expect(issues.some((e) => e.includes('doseQuantity'))).toBe(true);
  });

  it('an all-empty row converts without throwing and fails validation', () => {
    expect(validateImmunization(flatToFhir(emptyFlat(), 'FLU'), { mode: 'create' }).length).toBeGreaterThan(0);
  });
});
