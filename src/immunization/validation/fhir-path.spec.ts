import { appendPath, containedPath, fhirPathName, pathOf } from './fhir-path';

const body = { contained: [{ resourceType: 'Practitioner' }, { resourceType: 'Patient' }, { resourceType: 'Patient' }, 'x'] };

describe('FHIRPath expressions', () => {
  it('names a unique contained resource by type, as the contract example does', () => {
    expect(pathOf(body, ['contained', 0, 'name', 0, 'family'])).toBe(
      "Immunization.contained.where(resourceType='Practitioner').name[0].family",
    );
  });

  it('falls back to the index when the type is not unique or not a resource', () => {
    expect(containedPath(body, 1)).toBe('Immunization.contained[1]');
    expect(containedPath(body, 3)).toBe('Immunization.contained[3]');
    expect(containedPath({}, 0)).toBe('Immunization.contained[0]');
  });

  it('turns JSON pointer segments into elements and indexes', () => {
    expect(pathOf(body, ['site', 'coding', 1, 'code'])).toBe('Immunization.site.coding[1].code');
    expect(appendPath('Immunization', [])).toBe('Immunization');
  });

  it('quotes names that are not plain identifiers', () => {
    expect(fhirPathName('valueString')).toBe('valueString');
    expect(fhirPathName('_status')).toBe('_status');
    expect(fhirPathName('my-code')).toBe('`my-code`');
    expect(fhirPathName('a`b')).toBe('`a\\`b`');
  });
});
