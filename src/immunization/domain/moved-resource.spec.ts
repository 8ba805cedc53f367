import { withNhsNumber } from './moved-resource';

describe('withNhsNumber', () => {
  it('replaces the contained Patient NHS number and nothing else, without touching the input', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'Pat1',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009', use: 'official' }],
      birthDate: '2000-01-01',
    };
    const resource = { resourceType: 'Immunization', contained: [{ resourceType: 'Practitioner', id: 'P' }, patient], status: 'completed' };
    const moved = withNhsNumber(resource, '9449310475') as any;
    expect(moved.contained[1]).toEqual({
      ...patient,
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9449310475', use: 'official' }],
    });
    expect(moved.contained[0]).toBe(resource.contained[0]);
    expect(moved.status).toBe('completed');
    expect(patient.identifier[0].value).toBe('9000000009');
  });
});
