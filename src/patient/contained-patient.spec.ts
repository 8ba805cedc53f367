import { containedPatient, containedPatientIndex, nhsNumberOf } from './contained-patient';

const patient = (identifier?: unknown) => ({
  resourceType: 'Patient',
  id: 'Pat1',
  ...(identifier === undefined ? {} : { identifier }),
});
const immunization = (...contained: unknown[]) => ({ resourceType: 'Immunization', contained });

describe('containedPatient', () => {
  it('finds the Patient wherever it sits in contained', () => {
    const r = immunization({ resourceType: 'Practitioner', id: 'P' }, patient());
    expect(containedPatientIndex(r)).toBe(1);
    expect(containedPatient(r)?.id).toBe('Pat1');
  });

  it.each([[null], [undefined], ['x'], [{}], [{ contained: {} }], [immunization()], [immunization(null, 3, 'Patient')]])(
    'is null for %j, never throws',
    (r) => {
      expect(containedPatient(r)).toBeNull();
      expect(containedPatientIndex(r)).toBe(-1);
    },
  );
});

describe('nhsNumberOf', () => {
  it('returns the NHS number of the contained Patient', () => {
    expect(nhsNumberOf(immunization(patient([{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9449310475' }])))).toBe('9449310475');
  });

  it.each([
    ['no identifier (allowed: such records are not searchable)', patient()],
    ['another system', patient([{ system: 'https://example.org/mrn', value: '9449310475' }])],
    ['an invalid check digit', patient([{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9449310476' }])],
    [
      'two identifiers',
      patient([
        { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9449310475' },
        { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' },
      ]),
    ],
    ['a malformed identifier', patient([null])],
  ])('is null with %s', (_why, p) => {
    expect(nhsNumberOf(immunization(p))).toBeNull();
  });

  it('is null without a contained Patient', () => {
    expect(nhsNumberOf(immunization({ resourceType: 'Practitioner' }))).toBeNull();
    expect(nhsNumberOf(42)).toBeNull();
  });
});
